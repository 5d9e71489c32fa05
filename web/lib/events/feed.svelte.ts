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
const KEEP = 200;

/**
 * The three-level group feed. EventSource reconnects by itself and sends Last-Event-ID, and the
 * server replays what was missed, so a dropped network loses nothing.
 */
export class Feed {
  messages = $state<FeedMessage[]>([]);
  state = $state<FeedState>('connecting');
  private source: EventSource | null = null;
  // Callbacks, not state: nothing renders from this set, so it need not be reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly listeners = new Set<(m: FeedMessage) => void>();

  start(): void {
    if (this.source) return;
    const source = new EventSource('/api/feed');
    this.source = source;
    source.addEventListener('ready', () => (this.state = 'open'));
    source.onerror = () => (this.state = source.readyState === EventSource.CLOSED ? 'reconnecting' : 'reconnecting');
    for (const kind of KINDS) {
      source.addEventListener(kind, (e) => {
        const m = JSON.parse((e as MessageEvent<string>).data) as FeedMessage;
        if (this.messages.some((x) => x.id === m.id)) return;
        this.messages = [m, ...this.messages].slice(0, KEEP);
        for (const l of this.listeners) l(m);
      });
    }
  }

  onMessage(listener: (m: FeedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.source?.close();
    this.source = null;
  }
}
