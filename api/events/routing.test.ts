import { describe, expect, it } from 'vitest';
import { deliverable, type FeedMessage } from './feed.ts';
import { groupsOfRoles, routeMessage } from './routing.ts';
import { ACTION_ROLES, EVENT_ACTIONS, EVENT_STATES, TRANSITIONS, availableActions, checkTransition } from './state-machine.ts';
import { dueAt } from './deadlines.ts';

describe('routing to the three-level groups', () => {
  it.each([
    ['a minor theft', { kind: 'event.created', severity: 1, complexity: null, state: 'reported' }, ['grid']],
    ['a severity-2 hazard', { kind: 'event.created', severity: 2, complexity: null, state: 'reported' }, ['grid', 'community']],
    ['a complex dispute of severity 1', { kind: 'event.created', severity: 1, complexity: 'complex', state: 'reported' }, ['grid', 'community']],
    ['a severity-3 incident', { kind: 'event.created', severity: 3, complexity: null, state: 'reported' }, ['grid', 'community', 'command']],
    ['an escalation of a minor event', { kind: 'event.transition', severity: 1, complexity: null, state: 'escalated' }, ['grid', 'command']],
    ['an overdue minor event', { kind: 'event.overdue', severity: 1, complexity: 'general', state: 'escalated' }, ['grid', 'community', 'command']],
    ['a support request', { kind: 'support.requested', severity: 1, complexity: null, state: 'reported' }, ['grid', 'community']],
  ] as const)('%s goes to %j', (_label, facts, groups) => {
    expect(routeMessage(facts)).toEqual(groups);
  });

  it('gives each role its groups', () => {
    expect(groupsOfRoles(['grid_leader'])).toEqual(['grid']);
    expect(groupsOfRoles(['police'])).toEqual(['grid', 'community']);
    expect(groupsOfRoles(['station_chief'])).toEqual(['community']);
    expect(groupsOfRoles(['command'])).toEqual(['command']);
    expect(groupsOfRoles(['display'])).toEqual(['command']);
  });

  it('delivers only to listeners of a matching group and grid', () => {
    const m = { id: '1', at: '', kind: 'event.created', event_id: 1, grid_id: 7, groups: ['grid', 'community'], payload: {} } satisfies FeedMessage;
    expect(deliverable(m, { grids: new Set([7]), groups: new Set(['grid']) })).toBe(true);
    expect(deliverable(m, { grids: new Set([8]), groups: new Set(['grid']) })).toBe(false);
    expect(deliverable(m, { grids: null, groups: new Set(['command']) })).toBe(false);
    expect(deliverable({ ...m, groups: ['grid', 'community', 'command'] }, { grids: null, groups: new Set(['command']) })).toBe(true);
  });
});

describe('the state machine', () => {
  it('allows exactly the listed transitions and names the legal actions when refusing', () => {
    for (const from of EVENT_STATES) {
      for (const action of EVENT_ACTIONS) {
        const r = checkTransition(from, action, ['command']);
        expect(r.ok).toBe(TRANSITIONS[action][from] !== undefined);
        if (!r.ok) expect(r.reason).toMatch(/可执行/);
      }
    }
    expect(availableActions('closed', ['command'])).toEqual([]);
    expect(availableActions('cancelled', ['command'])).toEqual([]);
  });

  it('keeps verification away from those who did the work', () => {
    expect(checkTransition('resolved', 'close', ['grid_worker']).ok).toBe(false);
    expect(checkTransition('resolved', 'close', ['police']).ok).toBe(true);
    expect(ACTION_ROLES.resolve).toContain('grid_worker');
  });
});

describe('deadlines', () => {
  const cfg = { hours: { hazard: { '1': 168, '4': 4 }, dispute: { '2': 24 } }, generalDisputeHours: 24 };
  it('uses 24 h for general disputes and the type × severity table otherwise', () => {
    const t0 = new Date('2026-11-01T00:00:00Z');
    expect(dueAt(t0, 'dispute', 3, 'general', cfg).toISOString()).toBe('2026-11-02T00:00:00.000Z');
    expect(dueAt(t0, 'hazard', 4, null, cfg).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(() => dueAt(t0, 'hazard', 2, null, cfg)).toThrow(/no deadline configured for hazard severity 2/);
  });
});
