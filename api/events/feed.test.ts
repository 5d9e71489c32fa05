import { describe, expect, it } from 'vitest';
import { FeedHub, type FeedMessage, type Subscriber } from './feed.ts';
import type { Group } from './routing.ts';

const message = (id: number, grid: number, groups: Group[]): FeedMessage => ({
  id: String(id), at: '2026-12-06T02:00:00.000Z', kind: 'event.escalated', event_id: id, grid_id: grid, groups,
  payload: { title: `事件${id}`, note: '超期升级', level: 1 },
});

function listener(grids: number[] | null, groups: Group[], redacted = false) {
  const calls: [FeedMessage, string][][] = [];
  const s: Subscriber = { grids: grids && new Set(grids), groups: new Set(groups), redacted, send: (batch) => calls.push(batch), close: () => undefined };
  return { s, calls };
}

describe('FeedHub', () => {
  it('hands a burst committed together to each listener in one call, in id order, only what it may see', async () => {
    // 60 escalations at once (an overdue pass over a backlog): grids 1..3, every third for command too.
    const burst = Array.from({ length: 60 }, (_, i) => message(101 + i, 1 + (i % 3), i % 3 === 0 ? ['grid', 'command'] : ['grid']));
    let reads = 0;
    const hub = new FeedHub(async (after) => (reads++ === 0 ? burst.filter((m) => BigInt(m.id) > after) : []));
    await hub.cursor(async () => 100n);
    const grid2 = listener([2], ['grid']);
    const command = listener(null, ['command']);
    const analyst = listener(null, ['command'], true);
    const grid9 = listener([9], ['grid']);
    for (const l of [grid2, command, analyst, grid9]) hub.subscribe(l.s);
    await hub.poke();

    expect(grid2.calls).toHaveLength(1);
    expect(grid2.calls[0]!.map(([m]) => m.id)).toEqual(burst.filter((m) => m.grid_id === 2).map((m) => m.id));
    expect(command.calls).toHaveLength(1);
    expect(command.calls[0]!.map(([m]) => Number(m.id))).toEqual(Array.from({ length: 20 }, (_, k) => 101 + 3 * k));
    expect(grid9.calls).toHaveLength(0);
    // The same text for every listener of a kind; free text only for the unredacted.
    expect(JSON.parse(command.calls[0]![0]![1]).payload).toEqual({ title: '事件101', note: '超期升级', level: 1 });
    expect(JSON.parse(analyst.calls[0]![0]![1]).payload).toEqual({ level: 1 });
    // A writer's own next message then goes out at once, alone.
    await hub.committed(message(161, 2, ['grid']));
    expect(grid2.calls.map((c) => c.length)).toEqual([20, 1]);
    expect(reads).toBe(1);
  });
});
