import type { Page } from '@playwright/test';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Meta = { loading: boolean; error: string | null; count: number; seq: number; window: string; bbox: number[]; onSite: number; offSite: number; joint: number; notJoint: number };
type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => { props: { data: { length: number } } } | undefined;
    overlays: () => { meta: Record<string, Meta | undefined> };
    pick: (x: number, y: number) => { layer: string; index: number } | null;
  };
};
interface VisitsAnswer { count: number; columns: { id: number[]; lon: number[]; lat: number[]; address_text: string[]; on_site: (boolean | null)[]; joint: (boolean | null)[] } }

async function settledVisits(page: Page, after = 0) {
  await page.waitForFunction((after) => {
    const jw = (window as unknown as Jw).__jw;
    const m = jw.overlays().meta.visits;
    return !!m && !m.loading && m.seq > after && !m.error && !!jw.deck('visits') && jw.map.loaded() && !jw.map.isMoving();
  }, after, { timeout: 60_000 });
  return page.evaluate(() => {
    const jw = (window as unknown as Jw).__jw;
    return { meta: jw.overlays().meta.visits!, drawn: jw.deck('visits')!.props.data.length };
  });
}

async function apiVisits(page: Page, meta: Meta): Promise<VisitsAnswer> {
  const [from, to] = meta.window.split('..');
  const res = await page.request.get(`/api/visits?bbox=${meta.bbox.map((x) => x.toFixed(5)).join(',')}&from=${from}&to=${to}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as VisitsAnswer;
}

test('visits layer: draws the API’s visits with their verdicts, and a click opens the visit', async ({ page }) => {
  test.setTimeout(180_000);
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);

  await page.getByTestId('overlay-visits').check();
  const s = await settledVisits(page);
  const api = await apiVisits(page, s.meta);
  expect(api.count).toBeGreaterThan(50);
  expect(s.drawn).toBe(api.count);
  const c = api.columns;
  expect(s.meta.onSite).toBe(c.on_site.filter((x) => x === true).length);
  expect(s.meta.offSite).toBe(c.on_site.filter((x) => x === false).length);
  expect(s.meta.joint).toBe(c.joint.filter((x) => x === true).length);
  expect(s.meta.notJoint).toBe(c.joint.filter((x) => x === false).length);
  // The demo has off-site visits and key visits without the police: both verdicts appear.
  expect(s.meta.offSite).toBeGreaterThan(0);
  expect(s.meta.joint).toBeGreaterThan(0);
  await expect(page.getByTestId('legend-visits-count')).toHaveText(`${api.count} 次走访`);

  // Zoom right in on an off-site visit and click it: its card tells why it did not count.
  const i = c.on_site.findIndex((x) => x === false);
  await page.evaluate(([lon, lat]) => (window as unknown as Jw).__jw.map.jumpTo({ center: [lon!, lat!], zoom: 19 }), [c.lon[i], c.lat[i]]);
  const near = await settledVisits(page, s.meta.seq);
  const there = await apiVisits(page, near.meta);
  expect(near.drawn).toBe(there.count);
  const p = await page.evaluate(([lon, lat]) => (window as unknown as Jw).__jw.map.project([lon!, lat!]), [c.lon[i], c.lat[i]]);
  // Drawn there (deck.gl picks the visits layer at that pixel) before the click.
  await page.waitForFunction(({ x, y }) => (window as unknown as Jw).__jw.pick(x, y)?.layer === 'visits', p, { timeout: 30_000 });
  await page.mouse.click(p.x, p.y);
  await expect(page.getByTestId('visit-detail')).toBeVisible();
  // Whatever visit sits on that pixel: one of those at this spot, with its verdict shown.
  const atSpot = there.columns.id.map((_, k) => k).filter((k) => Math.abs(there.columns.lon[k]! - c.lon[i]!) < 2e-5 && Math.abs(there.columns.lat[k]! - c.lat[i]!) < 2e-5);
  expect(atSpot.map((k) => there.columns.address_text[k])).toContain(await page.getByTestId('visit-address').textContent());
  await page.screenshot({ path: 'test-results/artifacts/visits-layer.png' });

  // A base map switch keeps the layer: deck.gl still draws the visit at that pixel.
  await page.getByTestId('basemap-light').click();
  await page.waitForFunction(() => (window as unknown as Jw).__jw.map.isStyleLoaded(), undefined, { timeout: 30_000 });
  await page.waitForFunction(({ x, y }) => (window as unknown as Jw).__jw.pick(x, y)?.layer === 'visits', p, { timeout: 30_000 });
});
