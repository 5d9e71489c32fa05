import type postgres from 'postgres';
import type { DemoWorld } from './types.ts';

export interface LoadOptions {
  /** Called after every batch: the table being written, rows written so far, rows in total. */
  onProgress?: (step: string, done: number, total: number) => void;
}

type Ids = Map<string, number>;

// One statement per batch: each column travels as one array parameter and is unnested on the
// server, which is fast on a real PostgreSQL and on PGlite over its socket alike. Booleans and
// JSON go as text and are cast in SQL, because postgres.js would otherwise re-serialise them.
const BATCH = { geometry: 2_000, rows: 10_000, fixes: 25_000 };
// Dates in the world are local dates of the deployment.
const TZ = 'Asia/Shanghai';

/**
 * Writes a demo world into an empty, migrated database, in one transaction: either all of it is
 * there afterwards or none of it. Ids are the database's own (identity columns); codes are mapped
 * to them with RETURNING. Grids of addresses, events, visits and points are derived by the
 * schema's triggers from the geometry, exactly as for any other data. `created_at` is the time
 * the record came about in the world's history (an address's registration, an event's report, a
 * visit), not the time of loading, so history-based figures see a year of data. Returns rows per
 * table.
 */
export async function loadDemoWorld(sql: postgres.Sql, world: DemoWorld, opts: LoadOptions = {}): Promise<Record<string, number>> {
  const progress = opts.onProgress ?? (() => {});
  return sql.begin(async (tx) => {
    const counts: Record<string, number> = {};

    /** Runs `write` over `rows` in batches, reporting progress, and gathers what it returns. */
    async function batches<T, R>(table: string, rows: T[], size: number, write: (chunk: T[]) => Promise<R[] & { count: number }>): Promise<R[]> {
      const out: R[] = [];
      let done = 0;
      counts[table] = 0;
      progress(table, 0, rows.length);
      for (let i = 0; i < rows.length; i += size) {
        const chunk = rows.slice(i, i + size);
        const result = await write(chunk);
        for (const r of result) out.push(r);
        counts[table] += result.count;
        done += chunk.length;
        progress(table, done, rows.length);
      }
      return out;
    }
    const idMap = (rows: { id: number; code: string }[]): Ids => new Map(rows.map((r) => [r.code, r.id]));
    const need = (ids: Ids, code: string, what: string): number => {
      const id = ids.get(code);
      if (id === undefined) throw new Error(`demo world refers to unknown ${what} "${code}"`);
      return id;
    };
    const opt = (ids: Ids, code: string | null, what: string): number | null => (code === null ? null : need(ids, code, what));
    const json = (g: unknown) => JSON.stringify(g);
    // Numbers, ISO times and dates need no quoting in an array literal; writing the literal here
    // skips postgres.js's per-element escaping, the client's main cost on the big tables.
    const plain = (values: readonly (number | string | null)[]) => `{${values.map((v) => (v === null ? 'NULL' : v)).join(',')}}`;
    const bool = (b: boolean) => (b ? 'true' : 'false');

    const s = world.subdistrict;
    const [sub] = await batches('subdistrict', [s], 1, () => tx<{ id: number }[]>`
      INSERT INTO subdistrict (code, name, geom)
      VALUES (${s.code}, ${s.name}, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${json(s.geom)}), 4326)))
      RETURNING id`);
    const subdistrictId = sub!.id;

    const communities = idMap(await batches('community', world.communities, BATCH.geometry, (c) => tx<{ id: number; code: string }[]>`
      INSERT INTO community (code, subdistrict_id, name, kind, geom)
      SELECT u.code, ${subdistrictId}, u.name, u.kind, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(u.g), 4326))
      FROM unnest(${c.map((x) => x.code)}::text[], ${c.map((x) => x.name)}::text[], ${c.map((x) => x.kind)}::text[],
                  ${c.map((x) => json(x.geom))}::text[]) AS u(code, name, kind, g)
      RETURNING id, code`));

    const grids = idMap(await batches('grid', world.grids, BATCH.geometry, (g) => tx<{ id: number; code: string }[]>`
      INSERT INTO grid (code, community_id, name, geom)
      SELECT u.code, u.community_id, u.name, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(u.g), 4326))
      FROM unnest(${g.map((x) => x.code)}::text[], ${plain(g.map((x) => need(communities, x.communityCode, 'community')))}::int[],
                  ${g.map((x) => x.name)}::text[], ${g.map((x) => json(x.geom))}::text[]) AS u(code, community_id, name, g)
      RETURNING id, code`));

    const jointPoints = idMap(await batches('joint_defense_point', world.jointDefensePoints, BATCH.rows, (p) => tx<{ id: number; code: string }[]>`
      INSERT INTO joint_defense_point (code, name, geom, service_radius_m)
      SELECT u.code, u.name, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.r
      FROM unnest(${p.map((x) => x.code)}::text[], ${p.map((x) => x.name)}::text[], ${plain(p.map((x) => x.lon))}::float8[],
                  ${plain(p.map((x) => x.lat))}::float8[], ${plain(p.map((x) => x.serviceRadiusM))}::float8[]) AS u(code, name, lon, lat, r)
      RETURNING id, code`));

    await batches('key_location', world.keyLocations, BATCH.geometry, (k) => tx`
      INSERT INTO key_location (code, name, type, geom, required_passes_week)
      SELECT u.code, u.name, u.type, ST_SetSRID(ST_GeomFromGeoJSON(u.g), 4326), u.passes
      FROM unnest(${k.map((x) => x.code)}::text[], ${k.map((x) => x.name)}::text[], ${k.map((x) => x.type)}::text[],
                  ${k.map((x) => json(x.geom))}::text[], ${plain(k.map((x) => x.requiredPassesWeek))}::int[]) AS u(code, name, type, g, passes)`);

    const staff = idMap(await batches('staff', world.staff, BATCH.rows, (r) => tx<{ id: number; code: string }[]>`
      INSERT INTO staff (code, name, gender, phone, org, kind, active)
      SELECT u.code, u.name, u.gender, u.phone, u.org, u.kind, u.active::boolean
      FROM unnest(${r.map((x) => x.code)}::text[], ${r.map((x) => x.name)}::text[], ${r.map((x) => x.gender)}::text[],
                  ${r.map((x) => x.phone)}::text[], ${r.map((x) => x.org)}::text[], ${r.map((x) => x.kind)}::text[],
                  ${r.map((x) => bool(x.active))}::text[]) AS u(code, name, gender, phone, org, kind, active)
      RETURNING id, code`));

    const scoped = (kind: string) => (a: DemoWorld['assignments'][number]) => {
      if (a.scope.kind !== kind) return null;
      switch (kind) {
        case 'subdistrict': return subdistrictId;
        case 'community': return need(communities, a.scope.code, 'community');
        case 'grid': return need(grids, a.scope.code, 'grid');
        default: return need(jointPoints, a.scope.code, 'joint-defense point');
      }
    };
    await batches('assignment', world.assignments, BATCH.rows, (a) => tx`
      INSERT INTO assignment (staff_id, role, subdistrict_id, community_id, grid_id, joint_point_id, starts_on, ends_on, created_at)
      SELECT u.*, u.starts_on::timestamp AT TIME ZONE ${TZ}
      FROM unnest(${plain(a.map((x) => need(staff, x.staffCode, 'staff')))}::int[], ${a.map((x) => x.role)}::text[],
                  ${plain(a.map(scoped('subdistrict')))}::int[], ${plain(a.map(scoped('community')))}::int[],
                  ${plain(a.map(scoped('grid')))}::int[], ${plain(a.map(scoped('joint_point')))}::int[],
                  ${plain(a.map((x) => x.startsOn))}::date[], ${plain(a.map((x) => x.endsOn))}::date[])
           AS u(staff_id, role, subdistrict_id, community_id, grid_id, joint_point_id, starts_on, ends_on)`);

    const devices = idMap(await batches('patrol_device', world.devices, BATCH.rows, (d) => tx<{ id: number; code: string }[]>`
      INSERT INTO patrol_device (code, kind, staff_id, active)
      SELECT u.code, u.kind, u.staff_id, u.active::boolean
      FROM unnest(${d.map((x) => x.code)}::text[], ${d.map((x) => x.kind)}::text[], ${plain(d.map((x) => opt(staff, x.staffCode, 'staff')))}::int[],
                  ${d.map((x) => bool(x.active))}::text[]) AS u(code, kind, staff_id, active)
      RETURNING id, code`));

    const addresses = idMap(await batches('address', world.addresses, BATCH.rows, (a) => tx<{ id: number; code: string }[]>`
      INSERT INTO address (code, address_text, geom, category, vacant, created_at)
      SELECT u.code, u.t, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.category, u.vacant::boolean, u.created_at
      FROM unnest(${a.map((x) => x.code)}::text[], ${a.map((x) => x.text)}::text[], ${plain(a.map((x) => x.lon))}::float8[],
                  ${plain(a.map((x) => x.lat))}::float8[], ${a.map((x) => x.category)}::text[], ${a.map((x) => bool(x.vacant))}::text[],
                  ${plain(a.map((x) => x.createdAt))}::timestamptz[])
           AS u(code, t, lon, lat, category, vacant, created_at)
      RETURNING id, code`));

    await batches('housing', world.housing, BATCH.rows, (h) => tx`
      INSERT INTO housing (address_id, building_type, floors, usage, rented, recorded_at)
      SELECT u.a, u.bt, u.floors, u.usage, u.rented::boolean, u.at
      FROM unnest(${plain(h.map((x) => need(addresses, x.addressCode, 'address')))}::int[], ${h.map((x) => x.buildingType)}::text[],
                  ${plain(h.map((x) => x.floors))}::int[], ${h.map((x) => x.usage)}::text[], ${h.map((x) => bool(x.rented))}::text[],
                  ${plain(h.map((x) => x.recordedAt))}::timestamptz[]) AS u(a, bt, floors, usage, rented, at)`);

    await batches('resident', world.residents, BATCH.rows, (r) => tx`
      INSERT INTO resident (address_id, name, gender, birth_date, id_number, phone, residence, recorded_at)
      SELECT * FROM unnest(${plain(r.map((x) => need(addresses, x.addressCode, 'address')))}::int[], ${r.map((x) => x.name)}::text[],
                           ${r.map((x) => x.gender)}::text[], ${plain(r.map((x) => x.birthDate))}::date[], ${r.map((x) => x.idNumber)}::text[],
                           ${r.map((x) => x.phone)}::text[], ${r.map((x) => x.residence)}::text[], ${plain(r.map((x) => x.recordedAt))}::timestamptz[])`);

    await batches('org_unit', world.orgUnits, BATCH.rows, (o) => tx`
      INSERT INTO org_unit (address_id, name, kind, credit_code, recorded_at)
      SELECT * FROM unnest(${plain(o.map((x) => need(addresses, x.addressCode, 'address')))}::int[], ${o.map((x) => x.name)}::text[],
                           ${o.map((x) => x.kind)}::text[], ${o.map((x) => x.creditCode)}::text[], ${plain(o.map((x) => x.recordedAt))}::timestamptz[])`);

    // Residents have no code; the persons of concern find theirs by ID number, unique in the world.
    const concernIds = world.personsOfConcern.map((p) => p.residentIdNumber);
    const residentIds = new Map(
      (await tx<{ id: number; id_number: string }[]>`SELECT id, id_number FROM resident WHERE id_number = ANY(${concernIds}::text[])`).map((r) => [r.id_number, r.id]),
    );
    const persons = idMap(await batches('person_of_concern', world.personsOfConcern, BATCH.rows, (p) => tx<{ id: number; code: string }[]>`
      INSERT INTO person_of_concern (code, resident_id, address_id, name, id_number, phone, category, control_level, since, until, notes, created_at)
      SELECT u.*, u.since::timestamp AT TIME ZONE ${TZ} FROM unnest(${p.map((x) => x.code)}::text[], ${plain(p.map((x) => need(residentIds, x.residentIdNumber, 'resident ID number')))}::int[],
                           ${plain(p.map((x) => need(addresses, x.addressCode, 'address')))}::int[], ${p.map((x) => x.name)}::text[],
                           ${p.map((x) => x.idNumber)}::text[], ${p.map((x) => x.phone)}::text[], ${p.map((x) => x.category)}::text[],
                           ${plain(p.map((x) => x.controlLevel))}::smallint[], ${plain(p.map((x) => x.since))}::date[], ${plain(p.map((x) => x.until))}::date[],
                           ${p.map((x) => x.notes)}::text[])
           AS u(code, resident_id, address_id, name, id_number, phone, category, control_level, since, until, notes)
      RETURNING id, code`));

    const events = idMap(await batches('event', world.events, BATCH.rows, (e) => tx<{ id: number; code: string }[]>`
      INSERT INTO event (code, type, subtype, severity, complexity, state, title, description, geom, address_id, source,
                         reported_by, reporter_name, reported_at, due_at, closed_at, escalation_level, version, created_at)
      SELECT u.code, u.type, u.subtype, u.severity, u.complexity, u.state, u.title, u.description,
             ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.address_id, u.source, u.reported_by, u.reporter_name,
             u.reported_at, u.due_at, u.closed_at, u.escalation_level, u.version, u.reported_at
      FROM unnest(${e.map((x) => x.code)}::text[], ${e.map((x) => x.type)}::text[], ${e.map((x) => x.subtype)}::text[],
                  ${plain(e.map((x) => x.severity))}::smallint[], ${e.map((x) => x.complexity)}::text[], ${e.map((x) => x.state)}::text[],
                  ${e.map((x) => x.title)}::text[], ${e.map((x) => x.description)}::text[], ${plain(e.map((x) => x.lon))}::float8[],
                  ${plain(e.map((x) => x.lat))}::float8[], ${plain(e.map((x) => opt(addresses, x.addressCode, 'address')))}::int[],
                  ${e.map((x) => x.source)}::text[], ${plain(e.map((x) => opt(staff, x.reportedBy, 'staff')))}::int[],
                  ${e.map((x) => x.reporterName)}::text[], ${plain(e.map((x) => x.reportedAt))}::timestamptz[],
                  ${plain(e.map((x) => x.dueAt))}::timestamptz[], ${plain(e.map((x) => x.closedAt))}::timestamptz[],
                  ${plain(e.map((x) => x.escalationLevel))}::smallint[], ${plain(e.map((x) => x.version))}::int[])
           AS u(code, type, subtype, severity, complexity, state, title, description, lon, lat, address_id, source,
                reported_by, reporter_name, reported_at, due_at, closed_at, escalation_level, version)
      RETURNING id, code`));

    // Staff named by code in a log entry's details also get their database id there.
    const details = (d: Record<string, unknown> | null) => {
      if (!d) return null;
      const code = d.assignee_code;
      return json(typeof code === 'string' ? { ...d, assignee_id: need(staff, code, 'staff') } : d);
    };
    await batches('event_log', world.eventLog, BATCH.rows, (l) => tx`
      INSERT INTO event_log (event_id, from_state, to_state, action, actor_id, actor_name, at, note, details)
      SELECT u.event_id, u.from_state, u.to_state, u.action, u.actor_id, u.actor_name, u.at, u.note, u.details::jsonb
      FROM unnest(${plain(l.map((x) => need(events, x.eventCode, 'event')))}::int[], ${l.map((x) => x.fromState)}::text[],
                  ${l.map((x) => x.toState)}::text[], ${l.map((x) => x.action)}::text[], ${plain(l.map((x) => opt(staff, x.actorCode, 'staff')))}::int[],
                  ${l.map((x) => x.actorName)}::text[], ${plain(l.map((x) => x.at))}::timestamptz[], ${l.map((x) => x.note)}::text[],
                  ${l.map((x) => details(x.details))}::text[]) AS u(event_id, from_state, to_state, action, actor_id, actor_name, at, note, details)`);

    await batches('support_request', world.supportRequests, BATCH.rows, (r) => tx`
      INSERT INTO support_request (event_id, requested_by, police_id, geom, reason, requested_at, acknowledged_at, arrived_at, arrival_source, state)
      SELECT u.event_id, u.requested_by, u.police_id, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.reason,
             u.requested_at, u.acknowledged_at, u.arrived_at, u.arrival_source, u.state
      FROM unnest(${plain(r.map((x) => opt(events, x.eventCode, 'event')))}::int[], ${plain(r.map((x) => need(staff, x.requestedBy, 'staff')))}::int[],
                  ${plain(r.map((x) => opt(staff, x.policeCode, 'staff')))}::int[], ${plain(r.map((x) => x.lon))}::float8[], ${plain(r.map((x) => x.lat))}::float8[],
                  ${r.map((x) => x.reason)}::text[], ${plain(r.map((x) => x.requestedAt))}::timestamptz[], ${plain(r.map((x) => x.acknowledgedAt))}::timestamptz[],
                  ${plain(r.map((x) => x.arrivedAt))}::timestamptz[], ${r.map((x) => x.arrivalSource)}::text[], ${r.map((x) => x.state)}::text[])
           AS u(event_id, requested_by, police_id, lon, lat, reason, requested_at, acknowledged_at, arrived_at, arrival_source, state)`);

    // ST_MakePoint of NULLs is NULL: visits and fixes without a position keep a NULL geometry.
    const visits = new Map((await batches('visit', world.visits, BATCH.rows, (v) => tx<{ id: number; client_id: string }[]>`
      INSERT INTO visit (client_id, address_id, person_id, visited_at, geom, notes, created_at)
      SELECT u.client_id, u.address_id, u.person_id, u.visited_at, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.notes, u.visited_at
      FROM unnest(${v.map((x) => x.clientId)}::text[], ${plain(v.map((x) => need(addresses, x.addressCode, 'address')))}::int[],
                  ${plain(v.map((x) => opt(persons, x.personCode, 'person of concern')))}::int[], ${plain(v.map((x) => x.visitedAt))}::timestamptz[],
                  ${plain(v.map((x) => x.lon))}::float8[], ${plain(v.map((x) => x.lat))}::float8[], ${v.map((x) => x.notes)}::text[])
           AS u(client_id, address_id, person_id, visited_at, lon, lat, notes)
      RETURNING id, client_id`)).map((r) => [r.client_id, r.id]));

    await batches('visit_participant', world.visitParticipants, BATCH.rows, (p) => tx`
      INSERT INTO visit_participant (visit_id, staff_id, geom, fixed_at)
      SELECT u.visit_id, u.staff_id, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), u.fixed_at
      FROM unnest(${plain(p.map((x) => need(visits, x.visitClientId, 'visit')))}::int[], ${plain(p.map((x) => need(staff, x.staffCode, 'staff')))}::int[],
                  ${plain(p.map((x) => x.lon))}::float8[], ${plain(p.map((x) => x.lat))}::float8[], ${plain(p.map((x) => x.fixedAt))}::timestamptz[])
           AS u(visit_id, staff_id, lon, lat, fixed_at)`);

    await batches('gps_fix', world.gpsFixes, BATCH.fixes, (f) => tx`
      INSERT INTO gps_fix (device_id, fixed_at, lon, lat, speed_kmh, accuracy_m)
      SELECT * FROM unnest(${plain(f.map((x) => need(devices, x.deviceCode, 'device')))}::int[], ${plain(f.map((x) => x.fixedAt))}::timestamptz[],
                           ${plain(f.map((x) => x.lon))}::float8[], ${plain(f.map((x) => x.lat))}::float8[], ${plain(f.map((x) => x.speedKmh))}::real[],
                           ${plain(f.map((x) => x.accuracyM))}::real[])`);

    return counts;
  });
}
