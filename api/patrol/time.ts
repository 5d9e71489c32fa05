const DAY_MS = 86_400_000;
// Every time zone's offset is a multiple of 15 minutes and changes on such a boundary.
const BLOCK_MS = 900_000;

/**
 * Calendar day (YYYY-MM-DD) of an instant in a time zone. Intl is slow per call, so the offset is
 * computed once per 15-minute block and the day string once per day.
 */
export function dayOfZone(timezone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
  });
  const offsets = new Map<number, number>();
  const days = new Map<number, string>();
  const offsetAt = (block: number): number => {
    let off = offsets.get(block);
    if (off === undefined) {
      const ms = block * BLOCK_MS;
      const p = Object.fromEntries(format.formatToParts(ms).map((x) => [x.type, x.value]));
      off = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute)) - ms;
      offsets.set(block, off);
    }
    return off;
  };
  return (ms: number) => {
    const n = Math.floor((ms + offsetAt(Math.floor(ms / BLOCK_MS))) / DAY_MS);
    let s = days.get(n);
    if (s === undefined) {
      s = new Date(n * DAY_MS).toISOString().slice(0, 10);
      days.set(n, s);
    }
    return s;
  };
}
