import type { TransactionSql } from 'postgres';
import type { IssueLog } from './errors.ts';
import type { KindSpec } from './kinds.ts';
import type { Candidate } from './map.ts';
import { resolveReferences } from './refs.ts';

/**
 * Database-side validation. Candidates are loaded into a temporary table inside the import's
 * transaction so that PostGIS, the same engine that enforces the CHECK constraints, judges
 * validity, containment, overlaps and gaps, with areas on the ellipsoid (geography).
 */

export const STAGE = '_import_stage';

export interface StageOptions {
  fix: boolean;
  areaToleranceM2: number;
  strictTiling: boolean;
  /** persons: nearest standard address within this distance when no address code is given; 0 = off. */
  nearestAddressM: number;
}

const CHUNK = 2000;

export async function createStage(tx: TransactionSql, candidates: Candidate[], parentField: string | undefined, progress: (n: number) => void): Promise<void> {
  await tx.unsafe(`
    CREATE TEMP TABLE ${STAGE} (
      idx        integer PRIMARY KEY,
      code       text,
      attrs      jsonb NOT NULL,
      geom       geometry(Geometry, 4326),
      parent_ref text,
      parent_id  integer,
      -- persons and visits (refs.ts): the visit's participants and person of concern
      staff_ids  integer[],
      person_id  integer,
      skip       boolean NOT NULL DEFAULT false
    ) ON COMMIT DROP`);
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK).map((c) => ({
      idx: c.row,
      code: c.code,
      attrs: c.values,
      g: c.geometry,
      parent_ref: parentField ? ((c.values[parentField] as string | null) ?? null) : null,
    }));
    await tx`
      INSERT INTO ${tx(STAGE)} (idx, code, attrs, geom, parent_ref)
      SELECT r.idx, r.code, r.attrs, ST_SetSRID(ST_GeomFromGeoJSON(r.g::text), 4326), r.parent_ref
      FROM jsonb_to_recordset(${JSON.stringify(chunk)}::text::jsonb) AS r(idx integer, code text, attrs jsonb, g jsonb, parent_ref text)`;
    progress(Math.min(i + CHUNK, candidates.length));
  }
  await tx.unsafe(`CREATE INDEX ON ${STAGE} USING gist (geom)`);
  await tx.unsafe(`CREATE INDEX ON ${STAGE} (code)`);
  await tx.unsafe(`ANALYZE ${STAGE}`);
}

async function markSkipped(tx: TransactionSql, rows: number[]): Promise<void> {
  if (rows.length > 0) await tx`UPDATE ${tx(STAGE)} SET skip = true WHERE idx = ANY(${rows}::int[])`;
}

function round(m2: number): string {
  return m2 >= 100 ? m2.toFixed(0) : m2.toFixed(2);
}

/** OGC validity of polygons: refused, or repaired with ST_MakeValid when fix is on. */
async function checkValidity(tx: TransactionSql, opts: StageOptions, log: IssueLog): Promise<void> {
  const invalid = await tx<{ idx: number; reason: string }[]>`
    SELECT idx, ST_IsValidReason(geom) AS reason FROM ${tx(STAGE)}
    WHERE NOT skip AND GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_IsValid(geom) ORDER BY idx`;
  if (invalid.length === 0) return;
  if (!opts.fix) {
    for (const r of invalid) {
      log.error({ row: r.idx, field: 'geometry', code: 'INVALID_GEOMETRY', message: `record ${r.idx}: invalid polygon: ${r.reason} (fix: true repairs it with ST_MakeValid)` });
    }
    await markSkipped(tx, invalid.map((r) => r.idx));
    return;
  }
  const fixed = await tx<{ idx: number; empty: boolean; area: number }[]>`
    UPDATE ${tx(STAGE)} s SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(s.geom), 3))
    WHERE s.idx = ANY(${invalid.map((r) => r.idx)}::int[])
    RETURNING s.idx, ST_IsEmpty(s.geom) AS empty, ST_Area(s.geom::geography) AS area`;
  const reasons = new Map(invalid.map((r) => [r.idx, r.reason]));
  const empty: number[] = [];
  for (const f of fixed.sort((a, b) => a.idx - b.idx)) {
    if (f.empty || f.area <= 0) {
      empty.push(f.idx);
      log.error({ row: f.idx, field: 'geometry', code: 'EMPTY_GEOMETRY', message: `record ${f.idx}: invalid polygon (${reasons.get(f.idx)}) has no area left after repair` });
    } else {
      log.warn({
        row: f.idx,
        field: 'geometry',
        code: 'GEOMETRY_FIXED',
        areaM2: f.area,
        message: `record ${f.idx}: invalid polygon (${reasons.get(f.idx)}) repaired with ST_MakeValid; area now ${round(f.area)} m²`,
      });
    }
  }
  await markSkipped(tx, empty);
}

/**
 * Containment is tested against the parent grown by ~1 cm (1e-7°): a sub-district drawn as the
 * union of its grids differs from them by floating-point slivers, and computing the area of every
 * sliver exactly costs seconds per polygon for nothing. Anything more than a centimetre outside
 * is measured exactly.
 */
const CONTAINMENT_SLACK_DEG = 1e-7;

/**
 * Everything but the sub-district itself must lie in the sub-district, when one is loaded. For
 * visits the point is a GPS fix, which may honestly be elsewhere (the on-site rule judges it):
 * only warned about.
 */
async function checkInsideSubdistrict(tx: TransactionSql, spec: KindSpec, opts: StageOptions, log: IssueLog): Promise<void> {
  type Row = { idx: number; touches: boolean; polygon: boolean; outside_m2: number | null };
  // One deployment has one sub-district: no union needed (a unary union of a detailed polygon is not free).
  await tx.unsafe(`
    CREATE TEMP TABLE _import_sd ON COMMIT DROP AS
    SELECT CASE WHEN count(*) = 1 THEN (array_agg(geom))[1] ELSE ST_Union(geom) END AS g
    FROM subdistrict HAVING count(*) > 0`);
  const points = await tx<Row[]>`
    SELECT s.idx, false AS touches, false AS polygon, NULL::float8 AS outside_m2
    FROM ${tx(STAGE)} s, _import_sd sd
    WHERE NOT s.skip AND GeometryType(s.geom) = 'POINT' AND NOT ST_Covers(sd.g, s.geom)`;
  // Polygons: exactly covered (or vertex-for-vertex equal, like a community drawn as its
  // sub-district) first; only the rest are measured against the slack.
  const uncovered = await tx<{ idx: number }[]>`
    SELECT s.idx FROM ${tx(STAGE)} s, _import_sd sd
    WHERE NOT s.skip AND GeometryType(s.geom) <> 'POINT'
      AND NOT ST_OrderingEquals(s.geom, sd.g) AND NOT ST_Covers(sd.g, s.geom)`;
  const polygons =
    uncovered.length === 0
      ? []
      : await tx<Row[]>`
    WITH sd AS MATERIALIZED (SELECT g, ST_Buffer(g, ${CONTAINMENT_SLACK_DEG}, 'quad_segs=1') AS slack FROM _import_sd)
    SELECT s.idx, ST_Intersects(sd.g, s.geom) AS touches, true AS polygon,
           ST_Area(ST_Difference(s.geom, sd.g)::geography) AS outside_m2
    FROM ${tx(STAGE)} s, sd
    WHERE s.idx = ANY(${uncovered.map((u) => u.idx)}::integer[]) AND NOT ST_Covers(sd.slack, s.geom)`;
  await tx.unsafe('DROP TABLE _import_sd');
  const rows = [...points, ...polygons].sort((a, b) => a.idx - b.idx);
  const refused: number[] = [];
  for (const r of rows) {
    if (!r.polygon && spec.outsideSubdistrict === 'warn') {
      log.warn({
        row: r.idx,
        field: 'geometry',
        code: 'FIX_OUTSIDE_SUBDISTRICT',
        message: `record ${r.idx}: the GPS fix lies outside the sub-district; imported (the visit will count as off-site), but check the CRS if many do`,
      });
    } else if (!r.polygon || !r.touches) {
      refused.push(r.idx);
      log.error({
        row: r.idx,
        field: 'geometry',
        code: 'OUTSIDE_SUBDISTRICT',
        message: `record ${r.idx}: ${r.polygon ? 'polygon lies entirely' : 'point lies'} outside the sub-district (wrong CRS, swapped coordinates, or not our area?)`,
      });
    } else if ((r.outside_m2 ?? 0) > opts.areaToleranceM2) {
      log.warn({
        row: r.idx,
        field: 'geometry',
        code: 'PARTLY_OUTSIDE',
        areaM2: r.outside_m2!,
        message: `record ${r.idx}: ${round(r.outside_m2!)} m² of the polygon lie outside the sub-district`,
      });
    }
  }
  await markSkipped(tx, refused);
}

const PARENT_TABLE_LABEL = { subdistrict: 'sub-district', community: 'community', grid: 'grid' } as const;

/**
 * Parents by code (or, failing that, by a unique name) when the file names them; otherwise, for
 * communities and grids, the parent polygon overlapping the most area.
 */
async function resolveParents(tx: TransactionSql, spec: KindSpec, log: IssueLog): Promise<void> {
  const parent = spec.parent;
  if (!parent) return;
  const table = parent.table;
  const label = PARENT_TABLE_LABEL[table];
  await tx`
    UPDATE ${tx(STAGE)} s SET parent_id = p.id FROM ${tx(table)} p
    WHERE s.parent_ref IS NOT NULL AND p.code = s.parent_ref`;
  await tx`
    UPDATE ${tx(STAGE)} s SET parent_id = p.id
    FROM (SELECT name, min(id) AS id FROM ${tx(table)} GROUP BY name HAVING count(*) = 1) p
    WHERE s.parent_ref IS NOT NULL AND s.parent_id IS NULL AND p.name = s.parent_ref`;
  const unknown = await tx<{ idx: number; parent_ref: string }[]>`
    SELECT idx, parent_ref FROM ${tx(STAGE)} WHERE NOT skip AND parent_ref IS NOT NULL AND parent_id IS NULL ORDER BY idx`;
  for (const u of unknown) {
    log.error({
      row: u.idx,
      field: parent.field,
      code: 'UNKNOWN_PARENT',
      message: `record ${u.idx}: ${label} "${u.parent_ref}" does not exist (by code or name); import it first`,
    });
  }
  await markSkipped(tx, unknown.map((u) => u.idx));
  if (!parent.spatial) return;

  const [{ n } = { n: 0 }] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM ${tx(table)}`;
  // With a single candidate there is nothing to choose, and intersecting two detailed polygons
  // costs seconds; whether the child really lies in it is checked with the tiling rules.
  const found =
    n === 1
      ? await tx<{ idx: number }[]>`
    UPDATE ${tx(STAGE)} s SET parent_id = (SELECT id FROM ${tx(table)})
    WHERE NOT s.skip AND s.parent_ref IS NULL RETURNING s.idx`
      : await tx<{ idx: number }[]>`
    UPDATE ${tx(STAGE)} s SET parent_id = best.id FROM (
      SELECT DISTINCT ON (c.idx) c.idx, c.id
      FROM (
        SELECT s2.idx, p.id, p.geom AS pgeom, s2.geom, count(*) OVER (PARTITION BY s2.idx) AS n
        FROM ${tx(STAGE)} s2 JOIN ${tx(table)} p ON ST_Intersects(p.geom, s2.geom)
        WHERE NOT s2.skip AND s2.parent_ref IS NULL
      ) c
      -- the overlay is costly on detailed polygons: only computed when there is a choice
      ORDER BY c.idx, CASE WHEN c.n > 1 THEN ST_Area(ST_Intersection(c.pgeom, c.geom)::geography) ELSE 0 END DESC, c.id
    ) best
    WHERE s.idx = best.idx
    RETURNING s.idx`;
  if (found.length > 0) {
    log.warn({
      row: null,
      field: parent.field,
      code: 'PARENT_FOUND_SPATIALLY',
      message: `${found.length} record(s) name no ${label}: each was given ${n === 1 ? `the only ${label}` : `the ${label} it overlaps most`}`,
    });
  }
  const orphans = await tx<{ idx: number }[]>`
    SELECT idx FROM ${tx(STAGE)} WHERE NOT skip AND parent_id IS NULL ORDER BY idx`;
  for (const o of orphans) {
    log.error({
      row: o.idx,
      field: parent.field,
      code: 'NO_PARENT',
      message:
        n === 0
          ? `record ${o.idx}: no ${label} exists yet; import the ${label} layer first`
          : `record ${o.idx}: overlaps no ${label}; name one in a "${parent.field}" column or check the CRS`,
    });
  }
  await markSkipped(tx, orphans.map((o) => o.idx));
}

/**
 * Children of one parent must tile it: no overlaps (refused: a point in an overlap would belong to
 * two grids) and no gaps (warned, since grids are often loaded community by community, or refused
 * with strictTiling). Existing children the file does not replace take part. A child that does not
 * touch its parent at all is refused; one that sticks out is warned about.
 */
async function checkTiling(tx: TransactionSql, spec: KindSpec, opts: StageOptions, log: IssueLog): Promise<void> {
  const child = spec.table as 'grid' | 'community';
  const parentTable = child === 'grid' ? 'community' : 'subdistrict';
  const parentLabel = parentTable === 'community' ? 'community' : 'sub-district';
  const parentCol = child === 'grid' ? 'community_id' : 'subdistrict_id';
  const noun = child === 'grid' ? 'grid' : 'community';
  const tol = opts.areaToleranceM2;

  // As for the sub-district: exact cover first, the slack only for the rest.
  const uncovered = await tx.unsafe<{ idx: number }[]>(
    `SELECT s.idx FROM ${STAGE} s JOIN ${parentTable} p ON p.id = s.parent_id
     WHERE NOT s.skip AND NOT ST_OrderingEquals(s.geom, p.geom) AND NOT ST_Covers(p.geom, s.geom)`,
  );
  const outside =
    uncovered.length === 0
      ? []
      : await tx.unsafe<{ idx: number; code: string; parent_id: number; parent: string; touches: boolean; area: number }[]>(
          `WITH p AS MATERIALIZED (
             SELECT id, code, geom, ST_Buffer(geom, ${CONTAINMENT_SLACK_DEG}, 'quad_segs=1') AS slack FROM ${parentTable}
             WHERE id IN (SELECT parent_id FROM ${STAGE} WHERE idx = ANY($1::integer[]))
           )
           SELECT s.idx, s.code, p.id AS parent_id, p.code AS parent, ST_Intersects(s.geom, p.geom) AS touches,
                  ST_Area(ST_Difference(s.geom, p.geom)::geography) AS area
           FROM ${STAGE} s JOIN p ON p.id = s.parent_id
           WHERE s.idx = ANY($1::integer[]) AND NOT ST_Covers(p.slack, s.geom) ORDER BY s.idx`,
          [uncovered.map((u) => u.idx)],
        );
  const strays: number[] = [];
  const parentsWithStrays = new Set<number>();
  for (const o of outside) {
    if (!o.touches) {
      strays.push(o.idx);
      log.error({ row: o.idx, field: spec.parent!.field, code: 'NO_PARENT', message: `record ${o.idx}: ${noun} "${o.code}" lies entirely outside its ${parentLabel} "${o.parent}"` });
    } else if (o.area > tol) {
      parentsWithStrays.add(o.parent_id);
      log.warn({
        row: o.idx,
        field: 'geometry',
        code: 'PARTLY_OUTSIDE',
        areaM2: o.area,
        message: `record ${o.idx}: ${round(o.area)} m² of ${noun} "${o.code}" lie outside its ${parentLabel} "${o.parent}"`,
      });
    }
  }
  await markSkipped(tx, strays);

  const members = `
    WITH members AS (
      SELECT idx, code, parent_id, geom FROM ${STAGE} WHERE NOT skip AND parent_id IS NOT NULL
      UNION ALL
      SELECT NULL::integer, c.code, c.${parentCol}, c.geom FROM ${child} c
      WHERE c.${parentCol} IN (SELECT parent_id FROM ${STAGE} WHERE NOT skip)
        AND NOT EXISTS (SELECT 1 FROM ${STAGE} s WHERE NOT s.skip AND s.code = c.code)
    )`;
  const overlaps = await tx.unsafe<{ parent_id: number; a_idx: number | null; a_code: string; b_idx: number | null; b_code: string; area: number }[]>(
    `${members}
    SELECT a.parent_id, a.idx AS a_idx, a.code AS a_code, b.idx AS b_idx, b.code AS b_code,
           ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area
    FROM members a JOIN members b
      ON a.parent_id = b.parent_id AND a.code < b.code AND ST_Intersects(a.geom, b.geom)
         AND ST_Relate(a.geom, b.geom, '2********')
    WHERE a.idx IS NOT NULL OR b.idx IS NOT NULL`,
  );
  const refused = new Set<number>();
  const toleratedOverlap = new Map<number, number>();
  for (const o of overlaps) {
    if (o.area <= tol) {
      toleratedOverlap.set(o.parent_id, (toleratedOverlap.get(o.parent_id) ?? 0) + o.area);
      continue;
    }
    // Blame the later record of the file; an existing row is never the one refused.
    const [mine, other] =
      o.a_idx !== null && (o.b_idx === null || o.a_idx > o.b_idx)
        ? [{ idx: o.a_idx, code: o.a_code }, { idx: o.b_idx, code: o.b_code }]
        : [{ idx: o.b_idx!, code: o.b_code }, { idx: o.a_idx, code: o.a_code }];
    refused.add(mine.idx);
    log.error({
      row: mine.idx,
      field: 'geometry',
      code: 'GRID_OVERLAP',
      areaM2: o.area,
      message: `record ${mine.idx}: ${noun} "${mine.code}" overlaps ${noun} "${other.code}" (${other.idx !== null ? `record ${other.idx} of this file` : 'already in the database'}) by ${round(o.area)} m²`,
    });
  }
  await markSkipped(tx, [...refused]);

  // Gaps. The exact test (parent minus the union of its children) is an overlay of the most
  // detailed polygons in the system; area arithmetic settles the usual case without it: when no
  // child sticks out, the uncovered area is at most parent − Σ children + Σ tolerated overlaps.
  const sums = await tx.unsafe<{ parent_id: number; code: string; parent_m2: number; children_m2: number }[]>(
    `${members}
    SELECT p.id AS parent_id, p.code, ST_Area(p.geom::geography) AS parent_m2, sum(ST_Area(m.geom::geography)) AS children_m2
    FROM members m JOIN ${parentTable} p ON p.id = m.parent_id
    GROUP BY p.id, p.code, p.geom`,
  );
  const exact = sums.filter(
    (x) => parentsWithStrays.has(x.parent_id) || x.parent_m2 - x.children_m2 + (toleratedOverlap.get(x.parent_id) ?? 0) > tol,
  );
  if (exact.length === 0) return;
  const gaps = await tx.unsafe<{ code: string; gap_m2: number }[]>(
    `${members}
    SELECT p.code, ST_Area(ST_Difference(p.geom, ST_Union(m.geom))::geography) AS gap_m2
    FROM members m JOIN ${parentTable} p ON p.id = m.parent_id
    WHERE p.id = ANY($1::integer[])
    GROUP BY p.id, p.code, p.geom ORDER BY p.code`,
    [exact.map((x) => x.parent_id)],
  );
  for (const g of gaps.filter((x) => x.gap_m2 > tol)) {
    const issue = {
      row: null,
      field: 'geometry',
      code: 'GRID_GAP' as const,
      areaM2: g.gap_m2,
      message: `${parentLabel} "${g.code}": ${round(g.gap_m2)} m² are covered by no ${noun} (gap)`,
    };
    if (opts.strictTiling) log.error(issue);
    else log.warn(issue);
  }
}

/** Runs every database check for the kind; invalid records end up with skip = true. */
export async function validateStage(tx: TransactionSql, spec: KindSpec, opts: StageOptions, log: IssueLog): Promise<void> {
  if (spec.geometry !== 'point') await checkValidity(tx, opts, log);
  if (spec.kind !== 'subdistrict') await checkInsideSubdistrict(tx, spec, opts, log);
  await resolveParents(tx, spec, log);
  if (spec.references) await resolveReferences(tx, spec.references, { nearestAddressM: opts.nearestAddressM }, log);
  if (spec.kind === 'grids' || spec.kind === 'communities') await checkTiling(tx, spec, opts, log);
}
