import type { Page } from '@playwright/test';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Meta = { loading: boolean; error: string | null; count: number; seq: number; window: string; bbox: number[]; devices: number; fixes: number };
type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => { props: { data: { length: number }; currentTime: number; visible: boolean } } | undefined;
    overlays: () => { meta: Record<string, Meta | undefined>; clock: { from: number; to: number; t: number; playing: boolean } | null };
  };
};

async function settledTracks(page: Page, after = 0) {
  await page.waitForFunction((after) => {
    const jw = (window as unknown as Jw).__jw;
    const m = jw.overlays().meta.tracks;
    return !!m && !m.loading && m.seq > after && !m.error && !!jw.deck('patrol-trips');
  }, after, { timeout: 30_000 });
  return page.evaluate(() => {
    const jw = (window as unknown as Jw).__jw;
    return { meta: jw.overlays().meta.tracks!, drawn: jw.deck('patrol-trips')!.props.data.length, paths: jw.deck('patrol-paths')!.props.data.length };
  });
}
const currentTime = (page: Page) => page.evaluate(() => (window as unknown as Jw).__jw.deck('patrol-trips')!.props.currentTime);

test('patrol tracks: the layer draws the API’s trips and the time bar’s play runs the TripsLayer clock', async ({ page }) => {
  test.setTimeout(180_000);
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);

  await page.getByTestId('overlay-tracks').check();
  const s = await settledTracks(page);
  const [from, to] = s.meta.window.split('..');
  // The default window: the last 24 hours.
  expect(Date.parse(to!) - Date.parse(from!)).toBe(24 * 3_600_000);
  const res = await page.request.get(`/api/patrol/tracks?bbox=${s.meta.bbox.map((x) => x.toFixed(5)).join(',')}&from=${from}&to=${to}`);
  expect(res.status()).toBe(200);
  const api = (await res.json()) as { trips: { start: number[] }; devices: { id: number[] } };
  expect(api.trips.start.length).toBeGreaterThan(0);
  expect(s.drawn).toBe(api.trips.start.length);
  expect(s.paths).toBe(api.trips.start.length);
  expect(s.meta.count).toBe(api.trips.start.length);
  await expect(page.getByTestId('legend-tracks-count')).toContainText(`${api.devices.id.length} 台设备 · ${api.trips.start.length} 段`);

  // Stopped at the window's end: the clock sits there and every trip is drawn whole.
  const end = (Date.parse(to!) - Date.parse(from!)) / 1000;
  expect(await currentTime(page)).toBeCloseTo(end, 0);
  await expect(page.getByTestId('timebar-playhead')).toBeVisible();

  // Play: from the end it starts over, and the TripsLayer's current time advances.
  await page.getByTestId('timebar-play').click();
  await expect(page.getByTestId('timebar-play')).toContainText('暂停');
  await expect.poll(() => currentTime(page)).toBeLessThan(end / 2);
  const t1 = await currentTime(page);
  await expect.poll(() => currentTime(page)).toBeGreaterThan(t1 + 600);
  const label1 = await page.getByTestId('timebar-playhead').textContent();
  await expect.poll(() => page.getByTestId('timebar-playhead').textContent()).not.toBe(label1);

  // Pause: the clock stops.
  await page.getByTestId('timebar-play').click();
  await expect(page.getByTestId('timebar-play')).toContainText('播放');
  const paused = await currentTime(page);
  await page.waitForTimeout(500);
  expect(await currentTime(page)).toBe(paused);
  // Still the same trips, none reloaded by the playback.
  expect((await settledTracks(page, 0)).drawn).toBe(api.trips.start.length);
  await page.screenshot({ path: 'test-results/artifacts/patrol-playback.png' });

  // Off: both layers go.
  await page.getByTestId('overlay-tracks').uncheck();
  await expect.poll(() => page.evaluate(() => !!(window as unknown as Jw).__jw.deck('patrol-trips') || !!(window as unknown as Jw).__jw.deck('patrol-paths'))).toBe(false);
  await expect(page.getByTestId('timebar-playhead')).toHaveCount(0);
});
