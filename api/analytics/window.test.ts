import { describe, expect, it } from 'vitest';
import { addDays, cycleStart, daysBetween, isCalendarDate, localToday, previousWindow, resolveWindow, windowDays } from './window.ts';

describe('day windows', () => {
  it('knows calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2025-02-29')).toBe(false);
    expect(isCalendarDate('2025-1-5')).toBe(false);
    expect(addDays('2024-12-30', 3)).toBe('2025-01-02');
    expect(daysBetween('2025-03-01', '2025-02-01')).toBe(-28);
  });

  it('"today" is the local day in Asia/Shanghai, not the UTC day', () => {
    // 2025-03-31T17:30Z is already 1 April, 01:30 in Shanghai.
    expect(localToday('Asia/Shanghai', new Date('2025-03-31T17:30:00Z'))).toBe('2025-04-01');
    expect(localToday('UTC', new Date('2025-03-31T17:30:00Z'))).toBe('2025-03-31');
  });

  it('cycles start on the 1st of the month or on Monday', () => {
    expect(cycleStart('2025-04-17', 'month')).toBe('2025-04-01');
    expect(cycleStart('2025-04-17', 'week')).toBe('2025-04-14'); // a Thursday → Monday
    expect(cycleStart('2025-04-20', 'week')).toBe('2025-04-14'); // Sunday belongs to the week before
    expect(cycleStart('2025-04-14', 'week')).toBe('2025-04-14');
  });

  it('defaults to the current cycle so far, and checks order and span', () => {
    const opts = { cycle: 'month' as const, today: '2025-04-17', maxDays: 366 };
    expect(resolveWindow(undefined, undefined, opts)).toEqual({ from: '2025-04-01', to: '2025-04-17' });
    expect(resolveWindow(undefined, '2025-02-10', opts)).toEqual({ from: '2025-02-01', to: '2025-02-10' });
    expect(resolveWindow('2025-03-05', undefined, opts)).toEqual({ from: '2025-03-05', to: '2025-04-17' });
    expect(() => resolveWindow('2025-04-18', '2025-04-17', opts)).toThrow(/must not be after/);
    expect(() => resolveWindow('2023-01-01', '2025-04-17', opts)).toThrow(/spans 838 days; at most 366/);
  });

  it('the default baseline is the window of equal length just before', () => {
    const w = { from: '2025-04-01', to: '2025-04-17' };
    expect(windowDays(w)).toBe(17);
    expect(previousWindow(w)).toEqual({ from: '2025-03-15', to: '2025-03-31' });
  });
});
