import { existsSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from './paths.ts';

export const WEB_DIST = repoPath('dist');
const STAMP = join(WEB_DIST, '.build-stamp');
const SOURCES = [repoPath('web'), repoPath('vite.config.ts'), repoPath('package.json')];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Built, and built from sources no newer than the build. */
export function webBuildIsCurrent(): boolean {
  if (!existsSync(join(WEB_DIST, 'index.html')) || !existsSync(STAMP)) return false;
  const builtFrom = Number(readFileSync(STAMP, 'utf8'));
  return SOURCES.every((s) => !existsSync(s) || newestMtime(s) <= builtFrom);
}

export async function buildWeb(log: (msg: string) => void): Promise<void> {
  const started = Date.now();
  const sourcesAt = Math.max(...SOURCES.filter(existsSync).map(newestMtime));
  const { build } = await import('vite');
  await build({ configFile: repoPath('vite.config.ts'), logLevel: 'warn' });
  writeFileSync(STAMP, String(sourcesAt));
  log(`web console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
