import type { LineString, MultiPolygon, Point, Polygon } from 'geojson';

/**
 * The demo world as plain data: WGS84 lon/lat, times as ISO-8601 UTC strings, dates as local
 * (Asia/Shanghai) YYYY-MM-DD. Rows refer to each other by code, never by database id: the
 * loader maps codes to the ids the database generates.
 */
export interface DemoWorld {
  meta: {
    generator: 'jingwang-demo';
    version: number;
    seed: number;
    now: string;
    historyStart: string;
    timezone: 'Asia/Shanghai';
    crs: 'EPSG:4326';
    countySource: string;
  };
  /** The real 舞钢市 outline (converted to WGS84): context for maps, not a table. */
  county: MultiPolygon;
  subdistrict: { code: string; name: string; geom: MultiPolygon };
  communities: DemoCommunity[];
  grids: DemoGrid[];
  /** Street centrelines: no table holds them; they place addresses and patrols, and draw the base map. */
  streets: DemoStreet[];
  jointDefensePoints: DemoJointPoint[];
  keyLocations: DemoKeyLocation[];
  addresses: DemoAddress[];
  housing: DemoHousing[];
  residents: DemoResident[];
  orgUnits: DemoOrgUnit[];
  personsOfConcern: DemoPersonOfConcern[];
  staff: DemoStaff[];
  assignments: DemoAssignment[];
  devices: DemoDevice[];
  events: DemoEvent[];
  eventLog: DemoEventLog[];
  supportRequests: DemoSupportRequest[];
  visits: DemoVisit[];
  visitParticipants: DemoVisitParticipant[];
  gpsFixes: DemoGpsFix[];
}

export type CommunityKind = 'village' | 'community';

export interface DemoCommunity {
  code: string;
  name: string;
  kind: CommunityKind;
  geom: MultiPolygon;
}

export interface DemoGrid {
  code: string;
  communityCode: string;
  name: string;
  geom: MultiPolygon;
}

export interface DemoStreet {
  code: string;
  name: string;
  kind: 'main' | 'lane' | 'village_road';
  geom: LineString;
}

export interface DemoJointPoint {
  code: string;
  /** The grid the point falls in (the database derives the same from the point). */
  gridCode: string;
  name: string;
  lon: number;
  lat: number;
  serviceRadiusM: number;
}

export type KeyLocationType =
  | 'school' | 'kindergarten' | 'market' | 'bank' | 'clinic' | 'hospital' | 'station' | 'government'
  | 'nightlife' | 'factory' | 'gas_station' | 'religious' | 'park' | 'other';

export interface DemoKeyLocation {
  code: string;
  gridCode: string;
  name: string;
  type: KeyLocationType;
  geom: Point | Polygon;
  requiredPassesWeek: number;
  addressCode: string;
}

export type AddressCategory = 'general' | 'key' | 'attention';

export interface DemoAddress {
  code: string;
  gridCode: string;
  text: string;
  lon: number;
  lat: number;
  category: AddressCategory;
  vacant: boolean;
  createdAt: string;
}

export interface DemoHousing {
  addressCode: string;
  buildingType: 'residential' | 'bungalow' | 'villa' | 'shop' | 'office' | 'factory' | 'mixed' | 'other';
  floors: number | null;
  usage: 'self_occupied' | 'rented' | 'commercial' | 'idle' | 'other';
  rented: boolean;
  recordedAt: string;
}

export interface DemoResident {
  addressCode: string;
  name: string;
  gender: 'M' | 'F';
  birthDate: string;
  /** Unique within the world when present (overseas residents have none). */
  idNumber: string | null;
  phone: string | null;
  residence: 'registered' | 'floating' | 'overseas';
  recordedAt: string;
}

export interface DemoOrgUnit {
  addressCode: string;
  name: string;
  kind: 'company' | 'shop' | 'school' | 'government' | 'ngo' | 'other';
  creditCode: string | null;
  recordedAt: string;
}

export type ConcernCategory =
  | 'entitled' | 'elderly_alone' | 'child_distress' | 'disabled' | 'low_income' | 'idle_youth'
  | 'community_correction' | 'six_losses' | 'petition';

export interface DemoPersonOfConcern {
  code: string;
  /** The resident record of the same person, by ID number. */
  residentIdNumber: string;
  addressCode: string;
  name: string;
  idNumber: string;
  phone: string | null;
  category: ConcernCategory;
  controlLevel: 1 | 2 | 3;
  since: string;
  until: string | null;
  notes: string;
}

export type StaffKind = 'police' | 'aux_police' | 'cadre' | 'grid_worker' | 'volunteer' | 'analyst';

export interface DemoStaff {
  code: string;
  name: string;
  gender: 'M' | 'F';
  phone: string;
  org: 'police_station' | 'subdistrict' | 'community' | 'volunteer';
  kind: StaffKind;
  /** What the person is in everyday words (所长, 网格长, 物业保安...): display only. */
  title: string;
  active: boolean;
}

export type AssignmentRole =
  | 'command' | 'station_chief' | 'police' | 'aux_police' | 'grid_leader' | 'grid_worker' | 'part_time' | 'analyst';

export interface DemoAssignment {
  staffCode: string;
  role: AssignmentRole;
  scope: { kind: 'subdistrict' | 'community' | 'grid' | 'joint_point'; code: string };
  startsOn: string;
  endsOn: string | null;
}

export interface DemoDevice {
  code: string;
  kind: 'handheld' | 'vehicle' | 'bodycam' | 'ebike';
  staffCode: string | null;
  active: boolean;
}

export type EventType = 'public_security' | 'dispute' | 'hazard' | 'service_request' | 'support_request';
export type EventState =
  | 'reported' | 'accepted' | 'assigned' | 'in_progress' | 'resolved' | 'closed' | 'escalated' | 'returned' | 'cancelled';

export interface DemoEvent {
  code: string;
  type: EventType;
  subtype: string | null;
  severity: 1 | 2 | 3 | 4;
  complexity: 'general' | 'complex' | null;
  state: EventState;
  title: string;
  description: string;
  lon: number;
  lat: number;
  /** Where the point falls: the database derives the same grid from the point. */
  gridCode: string;
  addressCode: string | null;
  source: 'console' | 'api' | 'grid_app' | 'hotline' | 'patrol' | 'import';
  reportedBy: string | null;
  reporterName: string | null;
  reportedAt: string;
  dueAt: string;
  closedAt: string | null;
  escalationLevel: number;
  /** One per logged transition, the report included. */
  version: number;
}

export interface DemoEventLog {
  eventCode: string;
  fromState: EventState | null;
  toState: EventState;
  action: string;
  actorCode: string | null;
  actorName: string;
  at: string;
  note: string | null;
  /** Staff are named by code here (`assignee_code`); the loader adds their database id. */
  details: Record<string, unknown> | null;
}

export interface DemoSupportRequest {
  eventCode: string | null;
  gridCode: string;
  requestedBy: string;
  policeCode: string | null;
  lon: number;
  lat: number;
  reason: string;
  requestedAt: string;
  acknowledgedAt: string | null;
  arrivedAt: string | null;
  arrivalSource: 'gps' | 'manual' | null;
  state: 'open' | 'acknowledged' | 'arrived' | 'done' | 'cancelled';
}

export interface DemoVisit {
  clientId: string;
  addressCode: string;
  personCode: string | null;
  visitedAt: string;
  lon: number | null;
  lat: number | null;
  notes: string;
}

export interface DemoVisitParticipant {
  visitClientId: string;
  staffCode: string;
  lon: number | null;
  lat: number | null;
  fixedAt: string | null;
}

export interface DemoGpsFix {
  deviceCode: string;
  fixedAt: string;
  lon: number;
  lat: number;
  speedKmh: number;
  accuracyM: number;
}
