import { describe, expect, it } from 'vitest';
import { cgcs2000GaussKruger, crsFromPrj, CrsError, forwardTransform, inverseTransform, projectedCrs, utm } from './projected.ts';

// Reference values computed by PostGIS 3.3 / PROJ 9.1 (ST_Transform 4326 → 4547 and 4526), an
// implementation independent of proj4js.
const LON = 113.5;
const LAT = 33.3;
const X_4547 = 453431.9309657493;
const Y_4547 = 3686131.7405929496;

describe('CGCS2000 Gauss-Krüger zones', () => {
  it('numbers the four EPSG families as EPSG does', () => {
    expect(cgcs2000GaussKruger(4547)!.proj4).toContain('+lon_0=114 ');
    expect(cgcs2000GaussKruger(4547)!.proj4).toContain('+x_0=500000 ');
    expect(cgcs2000GaussKruger(4534)!.proj4).toContain('+lon_0=75 ');
    expect(cgcs2000GaussKruger(4554)!.proj4).toContain('+lon_0=135 ');
    // 3° zone 38 (CM 114E) with the zone number in the easting
    expect(cgcs2000GaussKruger(4526)!.proj4).toContain('+lon_0=114 ');
    expect(cgcs2000GaussKruger(4526)!.proj4).toContain('+x_0=38500000 ');
    // 6° zones: 4491 = zone 13 (CM 75E), 4502 = CM 75E without prefix, 4512 = CM 135E
    expect(cgcs2000GaussKruger(4491)!.proj4).toContain('+x_0=13500000 ');
    expect(cgcs2000GaussKruger(4495)!.proj4).toContain('+lon_0=99 ');
    expect(cgcs2000GaussKruger(4512)!.proj4).toContain('+lon_0=135 ');
    expect(cgcs2000GaussKruger(4490)).toBeNull();
    expect(cgcs2000GaussKruger(4555)).toBeNull();
  });

  it('EPSG:4547 matches PostGIS to the millimetre both ways', () => {
    const [x, y] = forwardTransform(cgcs2000GaussKruger(4547)!)(LON, LAT);
    expect(x).toBeCloseTo(X_4547, 3);
    expect(y).toBeCloseTo(Y_4547, 3);
    const [lon, lat] = inverseTransform(cgcs2000GaussKruger(4547)!)(X_4547, Y_4547);
    expect(lon).toBeCloseTo(LON, 8);
    expect(lat).toBeCloseTo(LAT, 8);
  });

  it('EPSG:4526 (zone 38) is EPSG:4547 with 38,000,000 m added to the easting', () => {
    const [lon, lat] = inverseTransform(cgcs2000GaussKruger(4526)!)(38_000_000 + X_4547, Y_4547);
    expect(lon).toBeCloseTo(LON, 8);
    expect(lat).toBeCloseTo(LAT, 8);
  });
});

describe('projectedCrs', () => {
  it('accepts EPSG codes with or without prefix, and UTM and web mercator', () => {
    expect(projectedCrs('EPSG:4547')!.code).toBe('EPSG:4547');
    expect(projectedCrs('4547')!.code).toBe('EPSG:4547');
    expect(projectedCrs('epsg:32610')!.name).toBe('WGS 84 / UTM zone 10N');
    expect(utm(32750)!.proj4).toContain('+south');
    expect(projectedCrs('EPSG:3857')!.code).toBe('EPSG:3857');
    expect(projectedCrs('EPSG:4326')).toBeNull();
    expect(projectedCrs('GCJ-02')).toBeNull();
  });

  it('refuses Xian 1980 and Beijing 1954 rather than misplacing data by hundreds of metres', () => {
    expect(() => projectedCrs('EPSG:2383')).toThrow(CrsError);
    expect(() => projectedCrs('EPSG:21460')).toThrow(/local datum transformation/);
  });

  it('UTM 10N puts a Vancouver hundred-block in Vancouver', () => {
    const [lon, lat] = inverseTransform(projectedCrs('EPSG:32610')!)(490320.299, 5458606.9208);
    expect(lon).toBeCloseTo(-123.1331, 3);
    expect(lat).toBeCloseTo(49.2801, 3);
  });
});

describe('crsFromPrj', () => {
  const esriCgcs =
    'PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';

  it('recognises an ESRI CGCS2000 3° GK .prj as EPSG:4547 and converts with it', () => {
    const prj = crsFromPrj(esriCgcs);
    expect(prj.code).toBe('EPSG:4547');
    const [lon, lat] = inverseTransform(prj.projected!)(X_4547, Y_4547);
    expect(lon).toBeCloseTo(LON, 8);
    expect(lat).toBeCloseTo(LAT, 8);
  });

  it('recognises zone-prefixed CGCS2000 and OGC-style names', () => {
    const zone38 = esriCgcs.replace('CM_114E', 'Zone_38').replace('PARAMETER["False_Easting",500000.0]', 'PARAMETER["False_Easting",38500000.0]');
    expect(crsFromPrj(zone38).code).toBe('EPSG:4526');
    const ogc =
      'PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]';
    expect(crsFromPrj(ogc).code).toBe('EPSG:4547');
  });

  it('recognises WGS84 geographic, WGS84 / UTM and CGCS2000 geographic', () => {
    expect(crsFromPrj('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')).toMatchObject({
      code: 'EPSG:4326',
      projected: null,
    });
    expect(
      crsFromPrj('GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]').code,
    ).toBe('EPSG:4490');
    const utm50 =
      'PROJCS["WGS_1984_UTM_Zone_50N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
    const prj = crsFromPrj(utm50);
    expect(prj.code).toBe('EPSG:32650');
    const [x, y] = forwardTransform(projectedCrs('EPSG:32650')!)(116.4, 39.9);
    const [lon, lat] = inverseTransform(prj.projected!)(x, y);
    expect(lon).toBeCloseTo(116.4, 8);
    expect(lat).toBeCloseTo(39.9, 8);
  });

  it('refuses Xian 1980, feet, unknown projections and garbage with a reason', () => {
    expect(() => crsFromPrj(esriCgcs.replace(/GCS_China_Geodetic_Coordinate_System_2000/, 'GCS_Xian_1980').replace('D_China_2000', 'D_Xian_1980'))).toThrow(/Xian/);
    expect(() => crsFromPrj(esriCgcs.replace('UNIT["Meter",1.0]]', 'UNIT["Foot_US",0.3048006096012192]]'))).toThrow(/not metres/);
    expect(() => crsFromPrj(esriCgcs.replace('Gauss_Kruger', 'Lambert_Conformal_Conic'))).toThrow(/unsupported projection/);
    expect(() => crsFromPrj('PROJCS["broken"')).toThrow(CrsError);
    expect(() => crsFromPrj('hello')).toThrow(CrsError);
  });
});
