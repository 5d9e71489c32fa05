import { test as base, expect, type Page } from '@playwright/test';

export interface Guarded {
  /** Requests that tried to leave the page's origin (they are aborted). */
  external: string[];
  errors: string[];
}

/**
 * Watches a page: uncaught errors, console errors and 5xx answers are collected, and requests that
 * leave the origin are aborted and collected. For pages a test opens itself (a second console).
 */
export async function guardPage(page: Page, origin: string): Promise<Guarded> {
  const guarded: Guarded = { external: [], errors: [] };
  page.on('pageerror', (err) => guarded.errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer as a console error; those are the API saying no (a wrong
    // password, a weak new password), which tests assert on directly. Script errors and 5xx fail.
    if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) {
      guarded.errors.push(`console.error: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 500) guarded.errors.push(`HTTP ${res.status()} from ${res.url()}`);
  });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith(origin)) return route.continue();
    guarded.external.push(url);
    return route.abort();
  });
  return guarded;
}

/**
 * Every page fails its test on an uncaught error or console error, and on any request that leaves
 * the origin: the console must work on an air-gapped police network.
 */
export const test = base.extend<{ guarded: Guarded }>({
  guarded: async ({ page, baseURL }, use) => {
    const guarded = await guardPage(page, new URL(baseURL!).origin);
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

export const DEMO_PASSWORD = 'Yuanling@2025';
export const E2E_PASSWORD = 'E2e-Console-2026!';

/**
 * Logs the page's browser context in as a demo user through the API (the cookie is shared with
 * the page). Demo users must change their password first; whichever state the account is in,
 * this ends logged in with E2E_PASSWORD.
 */
export async function loginAs(page: Page, username: string): Promise<void> {
  const login = (password: string) => page.request.post('/api/auth/login', { data: { username, password } });
  let res = await login(E2E_PASSWORD);
  if (res.status() === 401) {
    res = await login(DEMO_PASSWORD);
    expect(res.status(), await res.text()).toBe(200);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const change = await page.request.post('/api/auth/password', {
      data: { current_password: DEMO_PASSWORD, new_password: E2E_PASSWORD },
      headers: { 'x-csrf-token': csrfToken },
    });
    expect(change.status(), await change.text()).toBe(204);
  }
  expect(res.status(), await res.text()).toBe(200);
}
