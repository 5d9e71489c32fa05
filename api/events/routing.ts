/**
 * Which of the three-level groups (三级工作群) receive a message, per DOMAIN.md:
 * - the grid's rapid-response group (快反群) gets every message about its grid's events;
 * - the community workstation group (工作群) gets severity ≥ 2, complex disputes and overdue items;
 * - the command group (指挥群) gets severity ≥ 3 and escalations.
 */
export type Group = 'grid' | 'community' | 'command';

export interface RoutedFacts {
  kind: 'event.created' | 'event.transition' | 'event.overdue' | 'support.requested' | 'support.updated';
  severity: number;
  complexity: 'general' | 'complex' | null;
  /** The state the event is in after this message. */
  state: string;
}

export function routeMessage(f: RoutedFacts): Group[] {
  const groups: Group[] = ['grid'];
  const overdue = f.kind === 'event.overdue';
  const escalated = overdue || f.state === 'escalated';
  // Support requests are the grid leader asking police for help: the workstation must see them.
  if (f.severity >= 2 || f.complexity === 'complex' || overdue || f.kind.startsWith('support.')) groups.push('community');
  if (f.severity >= 3 || escalated) groups.push('command');
  return groups;
}

/** The groups a user listens to, from their roles. */
export function groupsOfRoles(roles: readonly string[]): Group[] {
  const g = new Set<Group>();
  for (const r of roles) {
    if (['grid_leader', 'grid_worker', 'part_time', 'aux_police', 'police'].includes(r)) g.add('grid');
    if (['station_chief', 'police'].includes(r)) g.add('community');
    if (['command', 'display', 'analyst'].includes(r)) g.add('command');
  }
  return [...g];
}
