export interface FeedMessage {
  id: string;
  at: string;
  kind: string;
  event_id: number | null;
  grid_id: number | null;
  groups: string[];
  payload: { code?: string; type?: string; severity?: number; state?: string; title?: string; lon: number; lat: number; version?: number; [k: string]: unknown };
}

export type FeedState = 'connecting' | 'open' | 'reconnecting';

const KINDS = ['event.created', 'event.transition', 'event.overdue', 'support.requested', 'support.updated'];
/** Messages a console keeps for its lists; the wall screen keeps fewer (it shows a short ticker). */
const KEEP = 200;

/**
 * The three-level group feed. EventSource reconnects by itself and sends Last-Event-ID, and the
 * server replays what was missed, so a dropped network loses nothing.
 */
export class Feed {
  messages = $state<FeedMessage[]>([]);
  state = $state<FeedState>('connecting');
  private source: EventSource | null = null;
  private lastId: string | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private restartDelay = 2_000;
  private stopped = false;
  // Callbacks, not state: nothing renders from this set, so it need not be reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly listeners = new Set<(m: FeedMessage) => void>();

  constructor(private readonly keep = KEEP) {}

  start(): void {
    if (this.source) return;
    this.stopped = false;
    // A fresh EventSource cannot set Last-Event-ID itself; the query parameter carries the cursor.
    const source = new EventSource(this.lastId ? `/api/feed?last_event_id=${encodeURIComponent(this.lastId)}` : '/api/feed');
    this.source = source;
    source.addEventListener('ready', () => {
      this.state = 'open';
      this.restartDelay = 2_000;
    });
    source.onerror = () => {
      this.state = 'reconnecting';
      // EventSource retries by itself after a dropped connection, but gives up for good on an HTTP
      // error (e.g. a proxy's 502 while the server restarts): then start again, with backoff.
      if (source.readyState === EventSource.CLOSED && !this.stopped) {
        source.close();
        this.source = null;
        this.restartTimer ??= setTimeout(() => {
          this.restartTimer = null;
          if (!this.stopped) this.start();
        }, this.restartDelay);
        this.restartDelay = Math.min(this.restartDelay * 2, 60_000);
      }
    };
    for (const kind of KINDS) {
      source.addEventListener(kind, (e) => {
        const m = JSON.parse((e as MessageEvent<string>).data) as FeedMessage;
        this.lastId = m.id;
        if (this.messages.some((x) => x.id === m.id)) return;
        this.messages = [m, ...this.messages].slice(0, this.keep);
        for (const l of this.listeners) l(m);
      });
    }
  }

  onMessage(listener: (m: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.source?.close();
    this.source = null;
  }
}
