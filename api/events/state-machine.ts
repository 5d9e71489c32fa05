import type { Role } from '../auth/types.ts';

export const EVENT_STATES = ['reported', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'escalated', 'returned', 'cancelled'] as const;
export type EventState = (typeof EVENT_STATES)[number];

export const EVENT_ACTIONS = ['accept', 'assign', 'start', 'resolve', 'close', 'reopen', 'return', 'escalate', 'cancel'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/**
 * The closed loop 上报 → 受理 → 分派 → 处置中 → 办结待核 → 已办结, with 退回, 升级, 作废. The same table
 * lives in the database (event_transition_rule), which refuses anything else whoever writes; a test
 * keeps the two equal.
 */
export const TRANSITIONS: Record<EventAction, Partial<Record<EventState, EventState>>> = {
  accept: { reported: 'accepted', returned: 'accepted' },
  assign: { accepted: 'assigned', escalated: 'assigned' },
  start: { assigned: 'in_progress' },
  resolve: { in_progress: 'resolved' },
  close: { resolved: 'closed' },
  reopen: { resolved: 'in_progress' },
  return: { reported: 'returned', accepted: 'returned', assigned: 'returned' },
  escalate: { reported: 'escalated', accepted: 'escalated', assigned: 'escalated', in_progress: 'escalated', escalated: 'escalated' },
  cancel: { reported: 'cancelled', accepted: 'cancelled', returned: 'cancelled' },
};

const LEADERS: Role[] = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader'];
const HANDLERS: Role[] = [...LEADERS, 'grid_worker'];

/** Who may take each action (within their jurisdiction, which the database enforces). */
export const ACTION_ROLES: Record<EventAction, readonly Role[]> = {
  accept: LEADERS,
  assign: ['command', 'station_chief', 'police', 'grid_leader'],
  start: HANDLERS,
  resolve: HANDLERS,
  // 办结待核: verification is for those who supervise the work, not those who did it.
  close: ['command', 'station_chief', 'police'],
  reopen: ['command', 'station_chief', 'police'],
  return: LEADERS,
  escalate: LEADERS,
  cancel: ['command', 'station_chief', 'police'],
};

export const LABELS: Record<EventState, string> = {
  reported: '上报', accepted: '受理', assigned: '分派', in_progress: '处置中', resolved: '办结待核',
  closed: '已办结', escalated: '升级', returned: '退回', cancelled: '作废',
};

export type TransitionCheck = { ok: true; to: EventState } | { ok: false; reason: string };

export function checkTransition(from: EventState, action: EventAction, roles: readonly Role[]): TransitionCheck {
  const to = TRANSITIONS[action][from];
  if (!to) {
    const allowed = EVENT_ACTIONS.filter((a) => TRANSITIONS[a][from]);
    return { ok: false, reason: `事件当前为「${LABELS[from]}」，不能执行 ${action}；可执行：${allowed.join(', ') || '无'}` };
  }
  if (!roles.some((r) => ACTION_ROLES[action].includes(r))) {
    return { ok: false, reason: `当前角色不能执行 ${action} / your role may not ${action}` };
  }
  return { ok: true, to };
}

/** Actions the given roles may take from a state, for the console's buttons. */
export function availableActions(from: EventState, roles: readonly Role[]): EventAction[] {
  return EVENT_ACTIONS.filter((a) => checkTransition(from, a, roles).ok);
}
