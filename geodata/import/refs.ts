import type { TransactionSql } from 'postgres';
import type { IssueLog } from './errors.ts';

/**
 * References of persons of concern and visits, resolved in the import's transaction against what
 * the database holds (the stage table is stage.ts's):
 *
 * - persons → their standard address: by address code (the `address` field) when the record has
 *   one; otherwise, when it has coordinates, the nearest standard address within
 *   `nearestAddressM` metres on the ellipsoid (ties: the lower id). No code and no address near
 *   enough: refused.
 * - visits → the address visited (by code; or the address of the visited person when only the
 *   person is named), the person of concern (by code, optional), and the participating staff
 *   (by staff code, else by login account). A visit is never attached spatially: the on-site rule
 *   measures the fix against the address the visitor says they visited.
 */

const STAGE = '_import_stage';

async function markSkipped(tx: TransactionSql, rows: number[]): Promise<void> {
  if (rows.length > 0) await tx`UPDATE ${tx(STAGE)} SET skip = true WHERE idx = ANY(${rows}::int[])`;
}

/** Address codes → ids; unknown codes are refused. */
async function addressesByCode(tx: TransactionSql, log: IssueLog): Promise<void> {
  await tx`
    UPDATE ${tx(STAGE)} s SET parent_id = a.id FROM address a
    WHERE NOT s.skip AND s.parent_ref IS NOT NULL AND a.code = s.parent_ref`;
  const unknown = await tx<{ idx: number; parent_ref: string }[]>`
    SELECT idx, parent_ref FROM ${tx(STAGE)} WHERE NOT skip AND parent_ref IS NOT NULL AND parent_id IS NULL ORDER BY idx`;
  for (const u of unknown) {
    log.error({
      row: u.idx,
      field: 'address',
      code: 'UNKNOWN_PARENT',
      message: `record ${u.idx}: standard address "${u.parent_ref}" does not exist (by address code); import the addresses first`,
    });
  }
  await markSkipped(tx, unknown.map((u) => u.idx));
}

/** Degrees of longitude that surely cover `m` metres up to ~60° latitude: a bounding-box prefilter for the index. */
const metresToDegreesBound = (m: number) => m / 50_000;

async function personAddresses(tx: TransactionSql, opts: { nearestAddressM: number }, log: IssueLog): Promise<void> {
  await addressesByCode(tx, log);
  const m = opts.nearestAddressM;
  let found: { idx: number }[] = [];
  if (m > 0) {
    found = await tx<{ idx: number }[]>`
      UPDATE ${tx(STAGE)} s SET parent_id = n.id
      FROM ${tx(STAGE)} s2 CROSS JOIN LATERAL (
        SELECT a.id FROM address a
        WHERE a.geom && ST_Expand(s2.geom, ${metresToDegreesBound(m)}::float8)
          AND ST_DWithin(a.geom::geography, s2.geom::geography, ${m}::float8)
        ORDER BY ST_Distance(a.geom::geography, s2.geom::geography), a.id
        LIMIT 1
      ) n
      WHERE s.idx = s2.idx AND NOT s.skip AND s.parent_ref IS NULL AND s.geom IS NOT NULL
      RETURNING s.idx`;
  }
  if (found.length > 0) {
    log.warn({
      row: null,
      field: 'address',
      code: 'PARENT_FOUND_SPATIALLY',
      message: `${found.length} record(s) name no address code: each was attached to the nearest standard address within ${m} m of its coordinates`,
    });
  }
  const orphans = await tx<{ idx: number; located: boolean }[]>`
    SELECT idx, geom IS NOT NULL AS located FROM ${tx(STAGE)} WHERE NOT skip AND parent_id IS NULL ORDER BY idx`;
  for (const o of orphans) {
    log.error({
      row: o.idx,
      field: 'address',
      code: o.located ? 'NO_PARENT' : 'MISSING_VALUE',
      message: o.located
        ? m > 0
          ? `record ${o.idx}: no address code, and no standard address lies within ${m} m of the coordinates (raise nearestAddressM or give the address code)`
          : `record ${o.idx}: no address code (nearestAddressM is 0: no spatial match)`
        : `record ${o.idx}: no address code and no coordinates: a person of concern must be attached to a standard address`,
    });
  }
  await markSkipped(tx, orphans.map((o) => o.idx));
}

async function visitReferences(tx: TransactionSql, log: IssueLog): Promise<void> {
  await addressesByCode(tx, log);

  // Person of concern, by code.
  await tx`
    UPDATE ${tx(STAGE)} s SET person_id = p.id FROM person_of_concern p
    WHERE NOT s.skip AND s.attrs->>'person' IS NOT NULL AND p.code = s.attrs->>'person'`;
  const unknownPersons = await tx<{ idx: number; ref: string }[]>`
    SELECT idx, attrs->>'person' AS ref FROM ${tx(STAGE)}
    WHERE NOT skip AND attrs->>'person' IS NOT NULL AND person_id IS NULL ORDER BY idx`;
  for (const u of unknownPersons) {
    log.error({ row: u.idx, field: 'person', code: 'UNKNOWN_REFERENCE', message: `record ${u.idx}: person of concern "${u.ref}" does not exist (by code); import the persons first` });
  }
  await markSkipped(tx, unknownPersons.map((u) => u.idx));

  // A visit naming only the person is a visit at the person's address.
  await tx`
    UPDATE ${tx(STAGE)} s SET parent_id = p.address_id FROM person_of_concern p
    WHERE NOT s.skip AND s.parent_ref IS NULL AND p.id = s.person_id`;
  const differs = await tx<{ idx: number; person: string; address: string }[]>`
    SELECT s.idx, s.attrs->>'person' AS person, s.parent_ref AS address FROM ${tx(STAGE)} s JOIN person_of_concern p ON p.id = s.person_id
    WHERE NOT s.skip AND p.address_id <> s.parent_id ORDER BY s.idx`;
  for (const d of differs) {
    log.warn({
      row: d.idx,
      field: 'person',
      code: 'PERSON_ADDRESS_DIFFERS',
      message: `record ${d.idx}: person "${d.person}" is registered at another address than "${d.address}"; the visit is kept at "${d.address}"`,
    });
  }
  const noAddress = await tx<{ idx: number }[]>`SELECT idx FROM ${tx(STAGE)} WHERE NOT skip AND parent_id IS NULL ORDER BY idx`;
  for (const o of noAddress) {
    log.error({ row: o.idx, field: 'address', code: 'MISSING_VALUE', message: `record ${o.idx}: a visit needs the code of the address visited (or of the person visited)` });
  }
  await markSkipped(tx, noAddress.map((o) => o.idx));

  // Participants: staff code first, then the login account of a staff member.
  const staff = await tx<{ idx: number; missing: string[] | null; empty: boolean }[]>`
    WITH wanted AS (
      SELECT s.idx, t.code, t.ord
      FROM ${tx(STAGE)} s, jsonb_array_elements_text(s.attrs->'staff_codes') WITH ORDINALITY AS t(code, ord)
      WHERE NOT s.skip
    ), matched AS (
      SELECT w.idx, w.code, w.ord,
             coalesce(st.id, (SELECT u.staff_id FROM app_user u WHERE u.username = w.code AND u.staff_id IS NOT NULL)) AS staff_id
      FROM wanted w LEFT JOIN staff st ON st.code = w.code
    ), per AS (
      SELECT idx, array_agg(code ORDER BY ord) FILTER (WHERE staff_id IS NULL) AS missing,
             array_agg(DISTINCT staff_id) FILTER (WHERE staff_id IS NOT NULL) AS ids
      FROM matched GROUP BY idx
    ), upd AS (
      UPDATE ${tx(STAGE)} s SET staff_ids = per.ids FROM per WHERE s.idx = per.idx
    )
    SELECT s.idx, per.missing, per.idx IS NULL AS empty
    FROM ${tx(STAGE)} s LEFT JOIN per ON per.idx = s.idx
    WHERE NOT s.skip AND (per.idx IS NULL OR per.missing IS NOT NULL)
    ORDER BY s.idx`;
  for (const r of staff) {
    log.error({
      row: r.idx,
      field: 'staff',
      code: r.empty ? 'MISSING_VALUE' : 'UNKNOWN_REFERENCE',
      message: r.empty
        ? `record ${r.idx}: no staff named: a visit needs who made it (staff codes or accounts)`
        : `record ${r.idx}: staff ${r.missing!.map((c) => `"${c}"`).join(', ')} not found (by staff code or login account)`,
    });
  }
  await markSkipped(tx, staff.map((r) => r.idx));
}

export async function resolveReferences(tx: TransactionSql, kind: 'persons' | 'visits', opts: { nearestAddressM: number }, log: IssueLog): Promise<void> {
  if (kind === 'persons') await personAddresses(tx, opts, log);
  else await visitReferences(tx, log);
}
