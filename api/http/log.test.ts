import { describe, expect, it } from 'vitest';
import { jsonLogger } from './log.ts';

describe('jsonLogger', () => {
  it('writes one JSON line per request with an ISO time and a level named after the status', () => {
    const lines: string[] = [];
    const log = jsonLogger((line) => lines.push(line));
    log({ msg: 'request', request_id: 'r-1', method: 'GET', path: '/api/grids', status: 200, ms: 3.2 });
    log({ msg: 'request', request_id: 'r-2', method: 'POST', path: '/api/events', status: 422, ms: 8 });
    log({ msg: 'request', request_id: 'r-3', method: 'GET', path: '/api/stats/grids', status: 503, ms: 5001 });
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => p.level)).toEqual(['info', 'warn', 'error']);
    expect(parsed[0]).toMatchObject({ msg: 'request', request_id: 'r-1', method: 'GET', path: '/api/grids', status: 200, ms: 3.2 });
    expect(Date.parse(String(parsed[0]!.time))).not.toBeNaN();
    expect(String(parsed[0]!.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(parsed[0]).not.toHaveProperty('pid');
  });
});
