import type { Group } from './routing.ts';

export interface FeedMessage {
  id: string;
  at: string;
  kind: string;
  event_id: number | null;
  grid_id: number | null;
  groups: Group[];
  payload: Record<string, unknown>;
}

export interface Subscriber {
  /** Grids the listener may see; null = the whole sub-district. */
  grids: Set<number> | null;
  groups: Set<Group>;
  /** Aggregate-only listeners get messages without free text. */
  redacted: boolean;
  /**
   * Messages for this listener, in id order, each with its JSON text. Messages committed together
   * come in one call, so a burst (an overdue pass escalating a backlog) is one write per client,
   * not one per message and client.
   */
  send(messages: [FeedMessage, string][]): void;
  /** Ends the subscriber's stream (server shutdown). */
  close(): void;
}

/** Reads committed messages after an id, in id order. */
export type FeedSource = (afterId: bigint) => Promise<FeedMessage[]>;

/** What aggregate-only roles (analysts, the wall screen) may see of a message: no free text. */
export function redact(m: FeedMessage): FeedMessage {
  const { title: _t, note: _n, actor: _a, ...payload } = m.payload;
  return { ...m, payload };
}

/**
 * Fan-out of committed feed messages to connected SSE clients, strictly in id order. Writers
 * insert feed rows under a transaction-scoped lock, so ids follow commit order; after a commit the
 * writer pokes the hub, which reads everything past the last id it published. A client's last id
 * is therefore a complete cursor: replay from it (Last-Event-ID) misses nothing and repeats nothing.
 */
export class FeedHub {
  private readonly subscribers = new Set<Subscriber>();
  private lastPublished: bigint | null = null;
  private start: Promise<bigint> | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly source: FeedSource | null = null) {}

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** The id up to which messages have been published (clients joining now replay from here). */
  async cursor(latest: () => Promise<bigint>): Promise<bigint> {
    // Concurrent first callers share one read, so the starting point is set exactly once.
    this.start ??= latest().then((id) => {
      this.lastPublished ??= id;
      return id;
    });
    await this.start;
    return this.lastPublished!;
  }

  /** Called after a commit that wrote feed messages; bursts are coalesced into few reads. */
  poke(): Promise<void> {
    // Until a listener has asked for the cursor there is nobody to deliver to.
    if (!this.source || this.lastPublished === null) return Promise.resolve();
    this.again = true;
    this.running ??= this.drain();
    return this.running;
  }

  /**
   * A writer's own message after its commit. Ids follow commit order, so when it is the next id
   * and no read is in flight it can go out at once; anything else falls back to reading.
   */
  committed(m: FeedMessage): Promise<void> {
    if (this.lastPublished !== null && !this.running && BigInt(m.id) === this.lastPublished + 1n) {
      this.deliver([m]);
      return Promise.resolve();
    }
    return this.poke();
  }

  /** One drain at a time; the flag is cleared in the same synchronous step that ends the loop. */
  private async drain(): Promise<void> {
    try {
      while (this.again) {
        this.again = false;
        const messages = await this.source!(this.lastPublished!);
        if (messages.length) this.deliver(messages);
      }
    } finally {
      this.running = null;
    }
  }

  private deliver(messages: FeedMessage[]): void {
    this.lastPublished = BigInt(messages[messages.length - 1]!.id);
    // Each message is serialised at most twice (in full, redacted), whatever the number of listeners.
    const full: (string | undefined)[] = [];
    const reduced: (string | undefined)[] = [];
    for (const s of this.subscribers) {
      const batch: [FeedMessage, string][] = [];
      messages.forEach((m, i) => {
        if (!deliverable(m, s)) return;
        batch.push([m, s.redacted ? (reduced[i] ??= JSON.stringify(redact(m))) : (full[i] ??= JSON.stringify(m))]);
      });
      if (batch.length) s.send(batch);
    }
  }

  /** Ends every stream so the HTTP server can finish shutting down. */
  closeAll(): void {
    for (const s of [...this.subscribers]) s.close();
    this.subscribers.clear();
  }
}

export function deliverable(m: FeedMessage, s: Pick<Subscriber, 'grids' | 'groups'>): boolean {
  if (!m.groups.some((g) => s.groups.has(g))) return false;
  if (s.grids === null) return true;
  return m.grid_id !== null && s.grids.has(m.grid_id);
}
