import { untrack } from 'svelte';
import type { LayerMeta, LayerState } from '../analysis/analysis.svelte.ts';
import { ApiRequestError } from '../api.ts';
import { ADDRESS_CATEGORIES, OVERLAYS, type LayerView, type OverlayId } from '../analysis/url-state.ts';

export { ADDRESS_CATEGORIES, OVERLAYS, type OverlayId };
/** General addresses (≈85% of all) are drawn from this zoom on; key and attention ones at every zoom. */
export const GENERAL_MIN_ZOOM = 15;
/** Seconds of wall time the playback takes to run through the tracks' window. */
export const PLAYBACK_SECONDS = 60;

/** The playback of the patrol tracks: their window (epoch ms) and the playhead. */
export interface Clock { from: number; to: number; t: number; playing: boolean }

/**
 * The operational layers (patrol tracks, visits, addresses, persons of concern): on/off, opacity,
 * filters, what each last loaded (legends, tests), and the tracks' playback clock, which the time
 * bar's play button drives while the tracks are on.
 */
export class Overlays {
  layers = $state<Record<OverlayId, LayerState>>({
    tracks: { on: false, opacity: 0.9 }, visits: { on: false, opacity: 0.9 }, addresses: { on: false, opacity: 0.9 }, persons: { on: false, opacity: 0.9 },
  });
  meta = $state<Partial<Record<OverlayId, LayerMeta>>>({});
  addressCategories = $state<string[]>([...ADDRESS_CATEGORIES]);
  /** Empty: every category. */
  personCategories = $state<string[]>([]);
  clock = $state<Clock | null>(null);
  private frame = 0;

  /** Restores the layers and address categories kept in the URL. */
  apply(v: LayerView): void {
    for (const id of OVERLAYS) {
      const o = v.overlays[id];
      this.layers[id] = o === undefined ? { on: false, opacity: this.layers[id].opacity } : { on: true, opacity: o };
    }
    this.addressCategories = v.addressCategories ? [...v.addressCategories] : [...ADDRESS_CATEGORIES];
  }

  /** The part of the URL state these layers own. */
  view(): Pick<LayerView, 'overlays' | 'addressCategories'> {
    const cats = this.addressCategories;
    return {
      overlays: Object.fromEntries(OVERLAYS.filter((id) => this.layers[id].on).map((id) => [id, this.layers[id].opacity])),
      addressCategories: ADDRESS_CATEGORIES.every((c) => cats.includes(c)) ? null : ADDRESS_CATEGORIES.filter((c) => cats.includes(c)),
    };
  }

  /** Starts or pauses the playback; from the end it starts over. */
  toggle(): void {
    const c = this.clock;
    if (!c) return;
    if (c.playing) return this.pause();
    if (c.t >= c.to) c.t = c.from;
    c.playing = true;
    let last = performance.now();
    const step = (now: number) => {
      const k = this.clock;
      if (!k?.playing) return;
      k.t = Math.min(k.to, k.t + ((now - last) / 1000) * ((k.to - k.from) / PLAYBACK_SECONDS));
      last = now;
      if (k.t >= k.to) k.playing = false;
      else this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }

  pause(): void {
    cancelAnimationFrame(this.frame);
    if (this.clock) this.clock.playing = false;
  }

  /** New tracks: a new window, the playhead at its end (every track drawn whole) unless it still fits. */
  setWindow(from: number, to: number): void {
    const c = this.clock;
    if (c && c.from === from && c.to === to) return;
    this.pause();
    this.clock = { from, to, t: to, playing: false };
  }

  clearClock(): void {
    this.pause();
    this.clock = null;
  }
}

const message = (err: unknown) => (err instanceof ApiRequestError ? `${err.code}: ${err.message}` : String(err));

/**
 * Called while a layer component initialises: runs `load` whenever the layer is on and what
 * `load` reads (synchronously, before its first await) changes; a newer request aborts the older
 * one. What it resolves to is published on `overlays.meta[id]` (legends, tests).
 */
export function follow(get: () => Overlays, id: OverlayId, load: (signal: AbortSignal) => Promise<Record<string, unknown> & { count: number }> | null): void {
  $effect(() => {
    const overlays = get();
    if (!overlays.layers[id].on) return;
    const ac = new AbortController();
    const pending = load(ac.signal);
    const seq = () => (untrack(() => overlays.meta[id]?.seq) ?? 0) + 1;
    if (!pending) {
      untrack(() => (overlays.meta[id] = { loading: false, error: null, count: 0, seq: seq() }));
      return () => ac.abort();
    }
    untrack(() => (overlays.meta[id] = { ...(overlays.meta[id] ?? { count: 0, seq: 0 }), loading: true, error: null }));
    pending.then(
      (m) => { if (!ac.signal.aborted) overlays.meta[id] = { ...m, loading: false, error: null, seq: seq() }; },
      (err: unknown) => { if (!ac.signal.aborted) overlays.meta[id] = { count: 0, loading: false, error: message(err), seq: seq() }; },
    );
    return () => ac.abort();
  });
}

export interface View { bbox: [number, number, number, number]; zoom: number }
