import { describe, expect, it } from 'vitest';
import { AnswerCache, answerCacheFromEnv, storedAnswer, type StoredAnswer } from './answer-cache.ts';

const body = (text: string) => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
const answer = (text: string, status = 200): StoredAnswer => ({ status, headers: [['content-type', 'application/json']], body: body(text) });
const text = (a: StoredAnswer) => new TextDecoder().decode(a.body);

function cacheAt(opts: Partial<ConstructorParameters<typeof AnswerCache>[0]> = {}) {
  const clock = { t: 0 };
  const cache = new AnswerCache({ ttlMs: 1000, staleMs: 2000, maxBytes: 1000, maxEntryBytes: 500, now: () => clock.t, ...opts });
  let computed = 0;
  const compute = (t: string, status = 200) => async () => {
    computed++;
    return answer(t, status);
  };
  return { cache, clock, compute, computed: () => computed };
}

const settle = () => new Promise((r) => setImmediate(r));

/** A computation the test finishes by hand. */
function deferred() {
  let resolve!: (a: StoredAnswer) => void;
  const promise = new Promise<StoredAnswer>((r) => (resolve = r));
  return { promise, resolve };
}

describe('AnswerCache', () => {
  it('answers a repeated key from the kept answer while it is fresh', async () => {
    const { cache, clock, compute, computed } = cacheAt();
    expect((await cache.answer('k', {}, compute('a'))).outcome).toBe('miss');
    clock.t = 1000;
    const again = await cache.answer('k', {}, compute('b'));
    expect([again.outcome, text(again.answer), again.ageMs, computed()]).toEqual(['hit', 'a', 1000, 1]);
    expect((await cache.answer('other', {}, compute('c'))).outcome).toBe('miss');
    expect(computed()).toBe(2);
  });

  it('gives the stale answer while one request computes the next, then the new one', async () => {
    const { cache, clock, compute } = cacheAt();
    await cache.answer('k', {}, compute('a'));
    clock.t = 1500;
    const next = deferred();
    let started = 0;
    const stale = await cache.answer('k', {}, () => (started++, next.promise));
    expect([stale.outcome, text(stale.answer)]).toEqual(['stale', 'a']);
    // A second request meanwhile starts no second computation.
    expect((await cache.answer('k', {}, () => (started++, next.promise))).outcome).toBe('stale');
    expect(started).toBe(1);
    next.resolve(answer('b'));
    await next.promise;
    await new Promise((r) => setImmediate(r));
    const fresh = await cache.answer('k', {}, compute('c'));
    expect([fresh.outcome, text(fresh.answer)]).toEqual(['hit', 'b']);
  });

  it('computes afresh once an answer is older than ttl + stale', async () => {
    const { cache, clock, compute } = cacheAt();
    await cache.answer('k', {}, compute('a'));
    clock.t = 3001;
    const late = await cache.answer('k', {}, compute('b'));
    expect([late.outcome, text(late.answer)]).toEqual(['miss', 'b']);
  });

  it('shares one computation among concurrent misses of a key', async () => {
    const { cache } = cacheAt();
    const next = deferred();
    let started = 0;
    const run = () => cache.answer('k', {}, () => (started++, next.promise));
    const all = Promise.all([run(), run(), run()]);
    next.resolve(answer('a'));
    const outcomes = (await all).map((r) => `${r.outcome}:${text(r.answer)}`);
    expect(started).toBe(1);
    expect(outcomes).toEqual(['miss:a', 'shared:a', 'shared:a']);
  });

  it('makes everything stale on a general write and only dependents on a domain write', async () => {
    const { cache, compute } = cacheAt();
    await cache.answer('stats', {}, compute('s1'));
    await cache.answer('list', { dependsOn: ['events'] }, compute('l1'));
    cache.invalidate(['events']);
    expect((await cache.answer('stats', {}, compute('s2'))).outcome).toBe('hit');
    const list = await cache.answer('list', { dependsOn: ['events'] }, compute('l2'));
    expect([list.outcome, text(list.answer)]).toEqual(['miss', 'l2']);
    cache.invalidate('all');
    expect(cache.size).toBe(0);
    expect(text((await cache.answer('stats', {}, compute('s3'))).answer)).toBe('s3');
    expect(text((await cache.answer('list', { dependsOn: ['events'] }, compute('l3'))).answer)).toBe('l3');
  });

  it('never keeps an answer whose computation began before a write that ended during it', async () => {
    const { cache, compute } = cacheAt();
    const slow = deferred();
    const pending = cache.answer('list', { dependsOn: ['events'] }, () => slow.promise);
    cache.invalidate(['events']);
    slow.resolve(answer('before the write'));
    // The caller that asked before the write gets its answer; nobody after it does.
    expect(text((await pending).answer)).toBe('before the write');
    const after = await cache.answer('list', { dependsOn: ['events'] }, compute('after'));
    expect([after.outcome, text(after.answer)]).toEqual(['miss', 'after']);
  });

  it('shares a computation with requests that arrived before a write, and one newer computation with those after it', async () => {
    const { cache } = cacheAt();
    const list = { dependsOn: ['events'] as const };
    const runs: ReturnType<typeof deferred>[] = [];
    const compute = () => {
      runs.push(deferred());
      return runs[runs.length - 1]!.promise;
    };
    const first = cache.answer('list', list, compute);
    const before = cache.answer('list', list, compute); // arrived before the write: shares the first
    cache.invalidate(['events']);
    const after = [cache.answer('list', list, compute), cache.answer('list', list, compute), cache.answer('list', list, compute)];
    await settle();
    expect(runs).toHaveLength(2); // the first, and one for everybody who arrived after the write
    runs[0]!.resolve(answer('old'));
    expect([(await first).outcome, text((await first).answer)]).toEqual(['miss', 'old']);
    expect([(await before).outcome, text((await before).answer)]).toEqual(['shared', 'old']);
    // The first finishing must not unregister the second: a later arrival joins it too.
    const later = cache.answer('list', list, compute);
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]!.resolve(answer('new'));
    expect((await Promise.all([...after, later])).map((r) => `${r.outcome}:${text(r.answer)}`)).toEqual(['miss:new', 'shared:new', 'shared:new', 'shared:new']);
    expect((await cache.answer('list', list, compute)).outcome).toBe('hit');
  });

  it('never gives a session an answer computed before its own last write ended', async () => {
    const { cache, compute } = cacheAt();
    await cache.answer('stats', {}, compute('before'), 'A');
    cache.invalidate(['events'], 'A'); // A reported an event: statistics are not event lists
    const other = await cache.answer('stats', {}, compute('x'), 'B');
    expect([other.outcome, text(other.answer)]).toEqual(['hit', 'before']);
    const own = await cache.answer('stats', {}, compute('after'), 'A');
    expect([own.outcome, text(own.answer)]).toEqual(['miss', 'after']);
    // From then on the newer answer serves both, and A's later reads hit it.
    expect(text((await cache.answer('stats', {}, compute('y'), 'B')).answer)).toBe('after');
    expect((await cache.answer('stats', {}, compute('z'), 'A')).outcome).toBe('hit');
  });

  it('does not keep refusals or errors, nor answers above the entry limit', async () => {
    const { cache, compute, computed } = cacheAt();
    expect((await cache.answer('k', {}, compute('{"error":1}', 400))).answer.status).toBe(400);
    expect((await cache.answer('k', {}, compute('ok'))).outcome).toBe('miss');
    expect(computed()).toBe(2);
    await cache.answer('big', {}, compute('x'.repeat(501)));
    expect((await cache.answer('big', {}, compute('x'))).outcome).toBe('miss');
  });

  it('drops the least recently used answers beyond its byte bound', async () => {
    const { cache, compute } = cacheAt();
    for (const k of ['a', 'b', 'c']) await cache.answer(k, {}, compute(k.repeat(400)));
    // 3 × 400 bytes > 1000: 'a' went first.
    expect([cache.size, cache.totalBytes]).toEqual([2, 800]);
    await cache.answer('b', {}, compute('-')); // b is now the most recent
    await cache.answer('d', {}, compute('d'.repeat(400)));
    expect((await cache.answer('b', {}, compute('new'))).outcome).toBe('hit');
    expect((await cache.answer('c', {}, compute('new'))).outcome).toBe('miss');
  });

  it('keeps nothing with ttl 0', async () => {
    const { cache, compute, computed } = cacheAt({ ttlMs: 0, staleMs: 0 });
    await cache.answer('k', {}, compute('a'));
    expect((await cache.answer('k', {}, compute('b'))).outcome).toBe('bypass');
    expect(computed()).toBe(2);
  });

  it('refuses a bound that is not a non-negative number, naming it', () => {
    expect(() => new AnswerCache({ ttlMs: -1, staleMs: 0, maxBytes: 1, maxEntryBytes: 1 })).toThrow('AnswerCache: ttlMs must be a non-negative number, got -1');
    expect(() => new AnswerCache({ ttlMs: 1, staleMs: 0, maxBytes: NaN, maxEntryBytes: 1 })).toThrow('maxBytes');
    expect(() => answerCacheFromEnv({ ANSWER_CACHE_MS: '5s' })).toThrow('ANSWER_CACHE_MS must be a non-negative integer, got "5s"');
    expect(answerCacheFromEnv({ ANSWER_CACHE_MS: '0' }).ttlMs).toBe(0);
  });

  it('keeps a response without the headers that belong to one request', async () => {
    const res = new Response('{"a":1}', { headers: { 'content-type': 'application/json', 'x-request-id': 'r1', 'set-cookie': 's=1', 'x-total': '3' } });
    const kept = await storedAnswer(res);
    expect(kept.headers.sort()).toEqual([['content-type', 'application/json'], ['x-total', '3']]);
    expect(new TextDecoder().decode(kept.body)).toBe('{"a":1}');
  });
});
