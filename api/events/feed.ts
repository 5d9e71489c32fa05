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
  send(message: FeedMessage): void;
  /** Ends the subscriber's stream (server shutdown). */
  close(): void;
}

/**
 * In-process fan-out of committed feed messages to connected SSE clients. Durability and replay
 * come from the feed_message table; this only delivers what was just committed, at once.
 */
export class FeedHub {
  private readonly subscribers = new Set<Subscriber>();

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Ends every stream so the HTTP server can finish shutting down. */
  closeAll(): void {
    for (const s of [...this.subscribers]) s.close();
    this.subscribers.clear();
  }

  publish(message: FeedMessage): void {
    for (const s of this.subscribers) if (deliverable(message, s)) s.send(message);
  }
}

export function deliverable(m: FeedMessage, s: Pick<Subscriber, 'grids' | 'groups'>): boolean {
  if (!m.groups.some((g) => s.groups.has(g))) return false;
  if (s.grids === null) return true;
  return m.grid_id !== null && s.grids.has(m.grid_id);
}
