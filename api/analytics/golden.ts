import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Golden files for the analytics: inputs in test/in, expected outputs in test/out. The expected
 * outputs are rewritten (not compared) when UPDATE_GOLDEN=1, after which `git diff` shows what moved.
 */
const DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'test');

export function readGoldenInput<T>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, 'in', `${name}.json`), 'utf8')) as T;
}

/** Returns the stored output to compare against, or writes `actual` and returns it under UPDATE_GOLDEN=1. */
export function goldenOutput<T>(name: string, actual: T): T {
  const file = join(DIR, 'out', `${name}.json`);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden file ${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(file, `${JSON.stringify(actual, null, 1)}\n`);
    return actual;
  }
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Rounds every number so golden files do not churn on the last bits of floating point. */
export function rounded<T>(value: T, digits = 9): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(digits)) : v))) as T;
}
