import { repoPath } from './paths.ts';
import { startServer } from './server.ts';
import { absorbClosedSocketWrites } from './db/connect.ts';

function log(msg: string): void {
  console.log(`[${new Date().toISOString()}] ${msg}`);
}

function seedSetting(): boolean | undefined {
  const v = process.env.SEED_DEMO;
  if (v === undefined || v === '') return undefined;
  return !['0', 'false', 'no'].includes(v.toLowerCase());
}

absorbClosedSocketWrites(log);
const started = Date.now();
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer 0-65535, got "${process.env.PORT}"`);
  process.exit(2);
}

const server = await startServer({
  port,
  host: process.env.HOST ?? '0.0.0.0',
  ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  dataDir: process.env.DATA_DIR ?? repoPath('data', 'pglite'),
  seedDemo: seedSetting(),
  buildWeb: process.env.BUILD_WEB !== '0',
  log,
  ...(process.env.SHUTDOWN_TIMEOUT_MS ? { shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS) } : {}),
}).catch((err: unknown) => {
  console.error('start-up failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});

log(`警网一张图 console ready at ${server.url}/ (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    log(`${signal} again: exiting now`);
    process.exit(130);
  }
  stopping = true;
  log(`${signal}: shutting down (finishing requests, flushing the database)…`);
  try {
    const finished = await server.close();
    log(finished ? 'stopped cleanly' : 'stopped; some requests were cut off at the shutdown timeout');
    process.exit(0);
  } catch (err) {
    console.error('shutdown failed:', err);
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
