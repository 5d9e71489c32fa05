import type { Sql } from 'postgres';

/** What the bench runner hands every bench module (`benchHeat(ctx)`, `benchKpi(ctx)`). */
export interface BenchContext {
  sql: Sql;
  log: (line: string) => void;
  /** Timed calls per endpoint after warm-up (baselines may use fewer). */
  runs: number;
}

export interface Timing {
  runs: number;
  p50: number;
  p95: number;
}

/** One measured endpoint; the runner prints these as a table. Times in milliseconds. */
export interface BenchResult {
  name: string;
  ours: Timing;
  baseline?: Timing & { label: string };
  /** p50 the issue asks for, if any. */
  targetP50?: number;
}
