/** Event types, their subtypes and the closed-loop states, in the order the console lists them (the database CHECKs are the source). */
export const SUBTYPES: Record<string, string[]> = {
  public_security: ['theft', 'fraud', 'fight', 'disorder', 'other'],
  dispute: ['neighbour', 'marriage', 'economic', 'land', 'labour', 'other'],
  hazard: ['fire', 'traffic', 'building', 'gathering', 'security_lead', 'other'],
  service_request: [],
  support_request: [],
};

export const EVENT_TYPES = Object.keys(SUBTYPES);

export const EVENT_STATES = ['reported', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'escalated', 'returned', 'cancelled'];

export const SEVERITIES = [1, 2, 3, 4];

/** Subtypes offered for a choice of types (all types when none is chosen), each once. */
export function subtypesOf(types: readonly string[]): string[] {
  const chosen = types.length ? types : EVENT_TYPES;
  const out: string[] = [];
  for (const t of chosen) for (const s of SUBTYPES[t] ?? []) if (!out.includes(s)) out.push(s);
  return out;
}
