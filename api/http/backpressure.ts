import { ApiError } from './errors.ts';

/** Limits of the server under load; every one is a bound, so nothing queues without end. */
export interface LoadLimits {
  /** Device fix batches (POST /api/machine/fixes) processed at once; more get 429. */
  ingestInFlight: number;
  /** Event reports (POST /api/events) processed at once; more get 429. */
  eventsInFlight: number;
  /** Requests using pooled database connections at once (the pool's size). */
  dbActive: number;
  /** Requests allowed to wait for one of those; more get 503 at once. */
  dbQueue: number;
  /** How long a request may wait for a connection before it gets 503. */
  dbQueueTimeoutMs: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = { ingestInFlight: 4, eventsInFlight: 8, dbActive: 10, dbQueue: 200, dbQueueTimeoutMs: 5000 };

function positiveInt(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** INGEST_MAX_IN_FLIGHT, EVENTS_MAX_IN_FLIGHT, DB_POOL_SIZE, DB_QUEUE_MAX, DB_QUEUE_TIMEOUT_MS. */
export function loadLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): LoadLimits {
  const d = DEFAULT_LOAD_LIMITS;
  return {
    ingestInFlight: positiveInt('INGEST_MAX_IN_FLIGHT', env) ?? d.ingestInFlight,
    eventsInFlight: positiveInt('EVENTS_MAX_IN_FLIGHT', env) ?? d.eventsInFlight,
    dbActive: positiveInt('DB_POOL_SIZE', env) ?? d.dbActive,
    dbQueue: positiveInt('DB_QUEUE_MAX', env) ?? d.dbQueue,
    dbQueueTimeoutMs: positiveInt('DB_QUEUE_TIMEOUT_MS', env) ?? d.dbQueueTimeoutMs,
  };
}

/**
 * A bounded number of requests of one kind at once. Devices retry, so a surge answered with 429 and
 * Retry-After is cheaper than one that piles up behind the pool and times out everywhere.
 */
export class InFlightLimit {
  private active = 0;

  constructor(readonly name: string, readonly max: number, readonly retryAfterS = 1) {}

  get inFlight(): number {
    return this.active;
  }

  /** Takes a slot or throws 429; the returned release may be called more than once. */
  enter(): () => void {
    if (this.active >= this.max) {
      throw new ApiError(429, 'too_many_requests',
        `服务繁忙，请稍后重试 / too many ${this.name} requests in progress (limit ${this.max}); retry after ${this.retryAfterS} s`,
        { limit: this.name, max: this.max, retry_after_s: this.retryAfterS }).withRetryAfter(this.retryAfterS);
    }
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }
}

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Admission to the database pool. postgres.js queues a query without bound while every connection
 * is busy; requests wait here instead, in a queue with a cap and a timeout, and get 503 with
 * Retry-After beyond either. A holder must never ask for a second slot (it would wait on itself).
 */
export class ConnectionGate {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly max: number, readonly maxQueued: number, readonly queueTimeoutMs: number, readonly retryAfterS = 2) {}

  get stats(): { active: number; queued: number } {
    return { active: this.active, queued: this.waiting.length };
  }

  private busy(why: string): ApiError {
    return new ApiError(503, 'database_busy', `数据库繁忙，请稍后重试 / ${why}; retry after ${this.retryAfterS} s`,
      { active: this.active, queued: this.waiting.length, max_queued: this.maxQueued }).withRetryAfter(this.retryAfterS);
  }

  private acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueued) return Promise.reject(this.busy(`all ${this.max} database connections are busy and ${this.maxQueued} requests already wait`));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(this.busy(`no database connection became free within ${this.queueTimeoutMs} ms`));
        }, this.queueTimeoutMs),
      };
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    // The slot passes straight to the next waiter, so `active` stays the same.
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.active--;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
