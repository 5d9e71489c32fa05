export type DeadlineTable = Record<string, Record<string, number>>;

export interface DeadlineConfig {
  hours: DeadlineTable;
  generalDisputeHours: number;
}

/**
 * When an event must be closed: general disputes are mediated by the grid leader at once (24 h by
 * default); everything else follows the type × severity table in config `event.deadline_hours`.
 */
export function dueAt(reportedAt: Date, type: string, severity: number, complexity: string | null, cfg: DeadlineConfig): Date {
  let hours: number | undefined;
  if (type === 'dispute' && complexity === 'general') hours = cfg.generalDisputeHours;
  else hours = cfg.hours[type]?.[String(severity)];
  if (hours === undefined || !(hours > 0)) throw new Error(`no deadline configured for ${type} severity ${severity}`);
  return new Date(reportedAt.getTime() + hours * 3600_000);
}
