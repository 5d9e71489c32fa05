import { describe, expect, it } from 'vitest';
import { fromShanghaiInput, startOfShanghaiDay, toShanghaiInput } from './format.ts';

describe('Asia/Shanghai date inputs', () => {
  it('reads and writes datetime-local values in UTC+8 whatever the machine zone', () => {
    expect(toShanghaiInput('2026-03-01T16:30:00Z')).toBe('2026-03-02T00:30');
    expect(fromShanghaiInput('2026-03-02T00:30')).toBe('2026-03-01T16:30:00.000Z');
    expect(fromShanghaiInput('')).toBeNull();
    expect(fromShanghaiInput('2026-13-40T99:99')).toBeNull();
  });

  it('finds midnight in Shanghai', () => {
    expect(startOfShanghaiDay(new Date('2026-03-01T16:30:00Z')).toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(startOfShanghaiDay(new Date('2026-03-01T15:59:00Z')).toISOString()).toBe('2026-02-28T16:00:00.000Z');
  });
});
