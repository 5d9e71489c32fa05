import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
  onData: (data: Uint8Array) => void;
}

interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Parse, Bind, Describe, Execute, Close, Flush: a connection's extended-protocol exchange runs
// until its Sync, and its unnamed statement and portal must not be replaced by another's meanwhile.
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

/**
 * PGlite has one session; the socket server feeds it the messages of all connections from one
 * queue. As shipped (0.2.11) it keeps transactions together but interleaves the messages of
 * concurrent extended-protocol queries, so postgres.js gets `portal "" does not exist`, and after
 * a failed message it stops processing for good. This scheduler keeps each connection's exchange
 * together up to its Sync, keeps transactions together, and survives errors.
 */
function scheduleByExchange(q: QueryQueue, db: PGlite): void {
  let pinned: number | null = null;
  q.processQueue = async () => {
    if (q.processing) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const owner = pinned ?? (db.isInTransaction() ? q.lastHandlerId : null);
        const index = owner === null ? 0 : q.queue.findIndex((m) => m.handlerId === owner);
        // The owner has not sent its next message yet; enqueue() runs this again when it does.
        if (index === -1) break;
        const item = q.queue.splice(index, 1)[0]!;
        let bytes = 0;
        try {
          await db.runExclusive(() => db.execProtocolRawStream(item.message, {
            onRawData: (data) => {
              bytes += data.length;
              item.onData(data);
            },
          }));
        } catch (err) {
          pinned = null;
          item.reject(err);
          continue;
        }
        q.lastHandlerId = item.handlerId;
        pinned = EXTENDED.has(item.message[0]!) ? item.handlerId : null;
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId) => {
    clear(handlerId);
    if (pinned === handlerId) {
      pinned = null;
      void q.processQueue();
    }
  };
}

/**
 * Runs PGlite (PostgreSQL 18 + PostGIS 3.6 compiled to WASM) in this process and exposes it on a
 * loopback TCP port, so the rest of the server talks to it with postgres.js exactly as it talks to
 * a real PostGIS server: one code path, one set of SQL.
 */
export async function startEmbeddedDatabase(opts: {
  dataDir: string;
  maxConnections: number;
  port?: number;
}): Promise<EmbeddedDatabase> {
  mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: opts.dataDir, extensions: { postgis, pg_trgm } });
  // The socket server defaults to a single connection; a postgres.js pool larger than that gets
  // ECONNRESET, so the server must accept at least the pool size (statements are queued inside).
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections,
  });
  scheduleByExchange((server as unknown as { queryQueue: QueryQueue }).queryQueue, db);
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres`,
    dataDir: opts.dataDir,
    async stop() {
      await server.stop();
      // close() flushes PGlite's in-memory filesystem to dataDir; skipping it loses recent writes.
      await db.close();
    },
  };
}
