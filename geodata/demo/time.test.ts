import { describe, expect, it } from 'vitest';
import { iso, localDate, localHour, localMidnight, localWeekday } from './time.ts';

describe('time helpers', () => {
  it('iso() writes what Date#toISOString writes, rounded to the second', () => {
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const ms = Date.UTC(1990, 0, 1) + (x / 2147483648) * 60 * 365 * 86_400_000;
      expect(iso(ms)).toBe(new Date(Math.round(ms / 1000) * 1000).toISOString());
    }
    expect(iso(Date.UTC(2026, 1, 28, 23, 59, 59, 600))).toBe('2026-03-01T00:00:00.000Z');
  });

  it('local calendar helpers use Beijing time', () => {
    const t = Date.parse('2026-11-28T16:30:00Z'); // 00:30 on 29 Nov in Beijing, a Sunday
    expect(localDate(t)).toBe('2026-11-29');
    expect(localHour(t)).toBe(0);
    expect(localWeekday(t)).toBe(0);
    expect(new Date(localMidnight(t)).toISOString()).toBe('2026-11-28T16:00:00.000Z');
  });
});
