import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A path inside the repository, independent of the current working directory. */
export function repoPath(...parts: string[]): string {
  return resolve(ROOT, ...parts);
}
