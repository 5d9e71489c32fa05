import type { PatrolConfig } from './config.ts';
import { segmentBoxDistanceM, segmentCells, sphereDistanceM, type Box } from './h3.ts';

/** A fix as the derivation sees it; `cell` is at the coverage resolution. */
export interface TrackFix {
  t: number;
  lon: number;
  lat: number;
  cell: string;
}

export interface CellAgg {
  device: number;
  day: string;
  cell: string;
  first: number;
  last: number;
  segments: number;
}

/** A segment whose grid path touches the candidate cells of a key location; checked exactly in SQL. */
export interface Contact {
  keyLocation: number;
  device: number;
  day: string;
  t0: number;
  t1: number;
  lon0: number;
  lat0: number;
  lon1: number;
  lat1: number;
}

/** What one derivation pass produces, accumulated over devices and chunks. */
export class Derived {
  readonly cells = new Map<string, CellAgg>();
  readonly contacts: Contact[] = [];
  segments = 0;
}

export interface TrackContext {
  config: PatrolConfig;
  dayOf: (ms: number) => string;
  /** Coverage cell -> key locations whose candidate cells include it. */
  keyCells: Map<string, number[]>;
  keyBoxes: Map<number, Box>;
}

/** Candidates farther than the buffer plus this (planar estimate) are dropped before the exact test. */
const CONTACT_SLACK_M = 5;

/**
 * Adds the segments of one device's consecutive fixes (sorted by time) to `out`. A segment belongs
 * to the day of its later fix; segments ending before `fromMs` are skipped (they were derived
 * before and are kept), so the caller can pass the preceding fix as context.
 */
export function deriveTrack(device: number, fixes: readonly TrackFix[], ctx: TrackContext, out: Derived, fromMs = -Infinity): void {
  const { maxGapMs, maxGapM, resolution } = ctx.config;
  for (let i = 1; i < fixes.length; i++) {
    const p = fixes[i - 1]!;
    const f = fixes[i]!;
    if (f.t < fromMs) continue;
    const dt = f.t - p.t;
    if (dt <= 0 || dt >= maxGapMs) continue;
    if (sphereDistanceM(p.lat, p.lon, f.lat, f.lon) >= maxGapM) continue;
    out.segments++;
    const day = ctx.dayOf(f.t);
    const path = segmentCells(p.cell, f.cell, p.lat, p.lon, f.lat, f.lon, resolution);
    let near: Set<number> | null = null;
    for (const cell of path) {
      const key = `${device}|${day}|${cell}`;
      const agg = out.cells.get(key);
      if (agg) {
        if (p.t < agg.first) agg.first = p.t;
        if (f.t > agg.last) agg.last = f.t;
        agg.segments++;
      } else {
        out.cells.set(key, { device, day, cell, first: p.t, last: f.t, segments: 1 });
      }
      const kls = ctx.keyCells.get(cell);
      if (kls) for (const k of kls) (near ??= new Set()).add(k);
    }
    if (near) {
      for (const keyLocation of near) {
        const box = ctx.keyBoxes.get(keyLocation);
        if (box && segmentBoxDistanceM(p.lat, p.lon, f.lat, f.lon, box) > ctx.config.bufferM + CONTACT_SLACK_M) continue;
        out.contacts.push({ keyLocation, device, day, t0: p.t, t1: f.t, lon0: p.lon, lat0: p.lat, lon1: f.lon, lat1: f.lat });
      }
    }
  }
}
