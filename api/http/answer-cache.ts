/**
 * Answers of aggregate GET routes (KPI tables, heat, histograms, the event list) kept for a few
 * seconds per caller, so a wall of consoles asking the same questions costs one database query per
 * question and period instead of one per screen.
 *
 * Rules (README, "Answer cache"):
 * - The key is the caller (user id and roles in force) and the request's path and query, so no
 *   answer ever crosses from one jurisdiction to another.
 * - An answer is fresh for `ttlMs`; until `staleMs` more it is still given while one request
 *   computes its successor (stale-while-revalidate), so an expiring KPI table never makes a queue.
 * - A write through this server bumps a generation after it commits: every write bumps `all`, which
 *   every answer depends on, except the high-rate ones that name narrower domains (an event report
 *   bumps only `events`). An answer computed from a snapshot older than a bump is never given.
 *   Writes that bypass the server (the CLI importers, psql) show within `ttlMs + staleMs`.
 * - A session sees its own writes at once in every answer: it is never given an answer whose
 *   computation began before its last write ended (other sessions see a narrow write's effect on
 *   statistics within `ttlMs + staleMs`).
 * - Concurrent misses of one key share one computation.
 * - Bounded: entries over `maxEntryBytes` are not kept; the oldest go when `maxBytes` is exceeded.
 */

export type CacheDomain = 'events';
/** What a write makes stale: everything, or only answers that depend on the named domains. */
export type Invalidation = 'all' | readonly CacheDomain[];

export interface CachePolicy {
  /** Domains besides `all` whose writes make this route's answers stale at once. */
  dependsOn?: readonly CacheDomain[];
}

export interface StoredAnswer {
  status: number;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer>;
}

interface Entry {
  answer: StoredAnswer;
  at: number;
  generations: number[];
  /** The write count when the computation began (see `lastWriteOf`). */
  seq: number;
}

export interface AnswerCacheOptions {
  ttlMs: number;
  staleMs: number;
  maxBytes: number;
  maxEntryBytes: number;
  now?: () => number;
}

export const DEFAULT_ANSWER_CACHE: AnswerCacheOptions = { ttlMs: 5_000, staleMs: 10_000, maxBytes: 64 * 1024 * 1024, maxEntryBytes: 8 * 1024 * 1024 };

/** Headers that belong to one request, never to a kept answer. */
const PER_REQUEST_HEADERS = new Set(['x-request-id', 'set-cookie', 'date', 'content-length', 'x-cache', 'age']);

export type CacheOutcome = 'hit' | 'stale' | 'miss' | 'shared' | 'bypass';

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  /** The computation in flight per key, with the generations and write count it started from. */
  private readonly inFlight = new Map<string, { run: Promise<Entry | null>; generations: number[]; seq: number }>();
  /** Writes ended so far, and the count after each writing session's last write (bounded). */
  private writes = 0;
  private readonly lastWrite = new Map<string, number>();
  private static readonly MAX_WRITERS = 10_000;
  private readonly generation = new Map<'all' | CacheDomain, number>([['all', 0], ['events', 0]]);
  private bytes = 0;
  private readonly now: () => number;

  constructor(readonly options: AnswerCacheOptions = DEFAULT_ANSWER_CACHE) {
    for (const k of ['ttlMs', 'staleMs', 'maxBytes', 'maxEntryBytes'] as const) {
      if (!Number.isFinite(options[k]) || options[k] < 0) throw new Error(`AnswerCache: ${k} must be a non-negative number, got ${options[k]}`);
    }
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /**
   * Called after a write commits (or fails in an unknown state). `writer` (a session) will not be
   * given an answer whose computation began before now.
   */
  invalidate(what: Invalidation, writer?: string): void {
    const domains = what === 'all' ? (['all'] as const) : what;
    for (const d of domains) this.generation.set(d, this.generation.get(d)! + 1);
    if (what === 'all') this.clear();
    this.writes++;
    if (writer !== undefined) {
      this.lastWrite.delete(writer);
      if (this.lastWrite.size >= AnswerCache.MAX_WRITERS) this.lastWrite.delete(this.lastWrite.keys().next().value!);
      this.lastWrite.set(writer, this.writes);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private generationsOf(policy: CachePolicy): number[] {
    return [this.generation.get('all')!, ...(policy.dependsOn ?? []).map((d) => this.generation.get(d)!)];
  }

  private current(entry: Pick<Entry, 'generations'>, policy: CachePolicy): boolean {
    return sameGenerations(entry.generations, this.generationsOf(policy));
  }

  /**
   * The answer for `key`: kept, shared with a computation in flight, or computed by `compute`.
   * Only 200 answers are kept; anything else goes to its own caller alone.
   */
  async answer(key: string, policy: CachePolicy, compute: () => Promise<StoredAnswer>, reader?: string): Promise<{ answer: StoredAnswer; outcome: CacheOutcome; ageMs: number }> {
    if (this.options.ttlMs === 0) {
      return { answer: await compute(), outcome: 'bypass', ageMs: 0 };
    }
    const arrival = this.generationsOf(policy);
    // The reader's own last write: nothing computed before it ended may answer this reader.
    const since = reader === undefined ? 0 : this.lastWrite.get(reader) ?? 0;
    const entry = this.entries.get(key);
    const now = this.now();
    if (entry && entry.seq >= since && sameGenerations(entry.generations, arrival)) {
      const age = now - entry.at;
      if (age <= this.options.ttlMs) {
          this.touch(key, entry);
        return { answer: entry.answer, outcome: 'hit', ageMs: age };
      }
      if (age <= this.options.ttlMs + this.options.staleMs) {
        if (!this.inFlight.has(key)) void this.computeShared(key, policy, compute).catch(() => undefined);
          return { answer: entry.answer, outcome: 'stale', ageMs: age };
      }
    }
    // A computation that began from the same generations as this request arrived with has seen
    // every write this request must see: share it. One that began before a write that has ended
    // since has not; then this request starts a new one, which later arrivals share in turn, so
    // a write does not make every waiting request compute on its own.
    const pending = this.inFlight.get(key);
    if (pending && pending.seq >= since && sameGenerations(pending.generations, arrival)) {
      const shared = await pending.run.catch(() => null);
      if (shared) {
          return { answer: shared.answer, outcome: 'shared', ageMs: this.now() - shared.at };
      }
    }
    let mine: StoredAnswer | undefined;
    const kept = await this.computeShared(key, policy, async () => (mine = await compute()));
    return { answer: kept?.answer ?? mine!, outcome: 'miss', ageMs: 0 };
  }

  private computeShared(key: string, policy: CachePolicy, compute: () => Promise<StoredAnswer>): Promise<Entry | null> {
    // Generations and time are taken before the computation opens its snapshot: a write committed
    // after that bumps them, so this answer is then already stale when it is stored.
    const generations = this.generationsOf(policy);
    const seq = this.writes;
    const at = this.now();
    const slot: { run: Promise<Entry | null>; generations: number[]; seq: number } = { run: Promise.resolve(null), generations, seq };
    slot.run = (async () => {
      try {
        // Never synchronously: the slot must be registered before this can end and unregister it.
        const answer = await Promise.resolve().then(compute);
        if (answer.status !== 200 || answer.body.byteLength > this.options.maxEntryBytes) return null;
        const entry: Entry = { answer, at, generations, seq };
        if (this.current(entry, policy)) this.store(key, entry);
        return entry;
      } finally {
        // A newer computation of the key may have taken the place of this one meanwhile.
        if (this.inFlight.get(key) === slot) this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, slot);
    return slot.run;
  }

  private touch(key: string, entry: Entry): void {
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private store(key: string, entry: Entry): void {
    const old = this.entries.get(key);
    // A slower computation that began earlier must not replace a newer answer.
    if (old && old.seq > entry.seq) return;
    if (old) this.bytes -= old.answer.body.byteLength;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.bytes += entry.answer.body.byteLength;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.answer.body.byteLength;
    }
  }
}

function sameGenerations(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((g, i) => g === b[i]);
}

/** A Response read into a StoredAnswer (its body consumed). */
export async function storedAnswer(res: Response): Promise<StoredAnswer> {
  const headers: [string, string][] = [];
  res.headers.forEach((v, k) => {
    if (!PER_REQUEST_HEADERS.has(k)) headers.push([k, v]);
  });
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

export function answerCacheFromEnv(env: NodeJS.ProcessEnv = process.env): AnswerCacheOptions {
  const v = env.ANSWER_CACHE_MS;
  if (v === undefined || v === '') return DEFAULT_ANSWER_CACHE;
  const ttlMs = Number(v);
  if (!Number.isInteger(ttlMs) || ttlMs < 0) throw new Error(`ANSWER_CACHE_MS must be a non-negative integer, got "${v}"`);
  return { ...DEFAULT_ANSWER_CACHE, ttlMs, staleMs: 2 * ttlMs };
}

/** Statistics, heat and hot spots: stale at once after a general write, within ttl+stale after a report. */
export const AGGREGATE: CachePolicy = {};
/** Lists of events: stale at once after any event write through this server. */
export const EVENT_LIST: CachePolicy = { dependsOn: ['events'] };
/** Logins, logouts and password changes write sessions only, which no kept answer holds. */
export const SESSION_ONLY: Invalidation = [];
/** Writes of the event loop (reports, transitions, support): they make only event lists stale at once. */
export const EVENT_WRITE: Invalidation = ['events'];
