import { test as base, expect, type Page } from '@playwright/test';

export interface Guarded {
  /** Requests that tried to leave the page's origin (they are aborted). */
  external: string[];
  errors: string[];
}

/**
 * Every page fails its test on an uncaught error or console error, and on any request that leaves
 * the origin: the console must work on an air-gapped police network.
 */
export const test = base.extend<{ guarded: Guarded }>({
  guarded: async ({ page, baseURL }, use) => {
    const origin = new URL(baseURL!).origin;
    const guarded: Guarded = { external: [], errors: [] };
    page.on('pageerror', (err) => guarded.errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') guarded.errors.push(`console.error: ${msg.text()}`);
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith(origin)) return route.continue();
      guarded.external.push(url);
      return route.abort();
    });
    await use(guarded);
    expect(guarded.external, 'requests that left the origin').toEqual([]);
    expect(guarded.errors, 'page errors').toEqual([]);
  },
});

export { expect };

/** Resolves when the map has loaded its style and drawn at least one grid polygon. */
export async function waitForGrids(page: Page): Promise<number> {
  await page.waitForFunction(() => {
    const jw = (window as unknown as { __jw?: { map: import('maplibre-gl').Map } }).__jw;
    if (!jw?.map.isStyleLoaded() || !jw.map.getLayer('grid-fill')) return false;
    return jw.map.queryRenderedFeatures({ layers: ['grid-fill'] }).length > 0;
  }, undefined, { timeout: 30_000 });
  return page.evaluate(() => {
    const jw = (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw;
    return new Set(jw.map.querySourceFeatures('grids').map((f) => f.id)).size;
  });
}
