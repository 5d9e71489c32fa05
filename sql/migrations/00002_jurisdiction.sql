-- The spatial hierarchy: 街道 → 行政村/社区 → 网格 → 联防联控点, plus 重点部位.
-- Geometries are WGS84 (SRID 4326), must be valid and non-empty: the database refuses a bowtie
-- even if an importer or route forgot to check.

CREATE TABLE subdistrict (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code       text NOT NULL UNIQUE CHECK (code <> ''),
  name       text NOT NULL CHECK (name <> ''),
  geom       geometry(MultiPolygon, 4326) NOT NULL
             CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2    double precision,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE community (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code           text NOT NULL UNIQUE CHECK (code <> ''),
  subdistrict_id integer NOT NULL REFERENCES subdistrict(id),
  name           text NOT NULL CHECK (name <> ''),
  kind           text NOT NULL CHECK (kind IN ('village', 'community')),
  geom           geometry(MultiPolygon, 4326) NOT NULL
                 CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2        double precision,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX community_geom_gist ON community USING gist (geom);
CREATE INDEX community_subdistrict ON community (subdistrict_id);

CREATE TABLE grid (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL UNIQUE CHECK (code <> ''),
  community_id integer NOT NULL REFERENCES community(id),
  name         text NOT NULL CHECK (name <> ''),
  geom         geometry(MultiPolygon, 4326) NOT NULL
               CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  area_m2      double precision,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grid_geom_gist ON grid USING gist (geom);
CREATE INDEX grid_community ON grid (community_id);

-- Areas on the ellipsoid, kept with the row so rollups can weight by area without recomputing.
CREATE FUNCTION set_area_m2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.area_m2 := ST_Area(NEW.geom::geography);
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER subdistrict_area BEFORE INSERT OR UPDATE OF geom ON subdistrict
  FOR EACH ROW EXECUTE FUNCTION set_area_m2();
CREATE TRIGGER community_area BEFORE INSERT OR UPDATE OF geom ON community
  FOR EACH ROW EXECUTE FUNCTION set_area_m2();
CREATE TRIGGER grid_area BEFORE INSERT OR UPDATE OF geom ON grid
  FOR EACH ROW EXECUTE FUNCTION set_area_m2();

-- The grid a point falls in. Points on a shared edge belong to both polygons; the lowest id wins
-- so the answer is deterministic.
CREATE FUNCTION grid_of(p geometry) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT g.id FROM grid g WHERE ST_Intersects(g.geom, p) ORDER BY g.id LIMIT 1
$$;

CREATE TABLE joint_defense_point (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code             text NOT NULL UNIQUE CHECK (code <> ''),
  grid_id          integer REFERENCES grid(id),
  name             text NOT NULL CHECK (name <> ''),
  geom             geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  service_radius_m double precision NOT NULL DEFAULT 200 CHECK (service_radius_m > 0 AND service_radius_m <= 5000),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX joint_defense_point_geom_gist ON joint_defense_point USING gist (geom);
CREATE INDEX joint_defense_point_grid ON joint_defense_point (grid_id);

CREATE TABLE key_location (
  id                    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code                  text NOT NULL UNIQUE CHECK (code <> ''),
  grid_id               integer REFERENCES grid(id),
  name                  text NOT NULL CHECK (name <> ''),
  type                  text NOT NULL CHECK (type IN ('school', 'kindergarten', 'market', 'bank', 'clinic',
                          'hospital', 'station', 'government', 'nightlife', 'factory', 'gas_station',
                          'religious', 'park', 'other')),
  geom                  geometry(Geometry, 4326) NOT NULL
                        CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')
                               AND ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  required_passes_week  integer NOT NULL DEFAULT 3 CHECK (required_passes_week >= 0),
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_location_geom_gist ON key_location USING gist (geom);
CREATE INDEX key_location_grid ON key_location (grid_id);

CREATE FUNCTION assign_grid_if_missing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.grid_id IS NULL THEN
    NEW.grid_id := grid_of(ST_PointOnSurface(NEW.geom));
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER joint_defense_point_grid BEFORE INSERT OR UPDATE OF geom ON joint_defense_point
  FOR EACH ROW EXECUTE FUNCTION assign_grid_if_missing();
CREATE TRIGGER key_location_grid BEFORE INSERT OR UPDATE OF geom ON key_location
  FOR EACH ROW EXECUTE FUNCTION assign_grid_if_missing();
