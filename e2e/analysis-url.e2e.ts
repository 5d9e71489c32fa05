import type { Page } from '@playwright/test';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';
import { presetRange, today } from '../web/lib/analysis/dates.ts';

type Meta = { loading: boolean; error: string | null; count: number; seq: number; baseline?: string; window?: string };
type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => { props: { data: unknown[] } } | undefined;
    analysis: () => { view: Record<string, unknown>; meta: Record<string, Meta | undefined> };
  };
};

/** Resolves when every given layer has loaded without error (and the map stopped moving). */
async function settled(page: Page, ids: string[]) {
  await page.waitForFunction((ids) => {
    const jw = (window as unknown as Jw).__jw;
    const meta = jw.analysis().meta;
    return !jw.map.isMoving() && ids.every((id) => meta[id] && !meta[id].loading);
  }, ids, { timeout: 45_000 });
  return page.evaluate(() => (window as unknown as Jw).__jw.analysis());
}

test('analysis workspace: a compare period, filters and layers survive reopening the page from its URL', async ({ page }) => {
  await loginAs(page, 'yanpan');
  await page.goto('/');
  await waitForGrids(page);

  await page.getByTestId('open-analysis').click();
  await expect(page.getByTestId('analysis-panel')).toBeVisible();
  await page.getByTestId('preset-30d').click();
  const a = presetRange('30d', today());
  await expect(page.getByTestId('compare-a')).toHaveText(`${a.from} 至 ${a.to}`);

  // Baseline: a fixed period; the difference layer on; Gi* too.
  await page.getByTestId('compare-from2').fill('2026-06-01');
  await page.getByTestId('compare-to2').fill('2026-06-30');
  await page.getByTestId('compare-toggle').click();
  await page.getByTestId('analysis-gistar').click();
  // Filter by clicking a type bar, then a cell of the hour × weekday matrix.
  await page.getByTestId('type-bar-dispute').click();
  await expect(page.getByTestId('filter-type')).toHaveValue('dispute');
  await page.getByTestId('matrix-6-20').click();
  await expect(page.getByTestId('cell-filter')).toContainText('周六');
  await page.evaluate(() => (window as unknown as Jw).__jw.map.jumpTo({ center: [113.5234, 33.2876], zoom: 13.4 }));

  const before = await settled(page, ['compare', 'gistar']);
  expect(before.meta.compare!.error).toBeNull();
  expect(before.meta.compare!.baseline).toBe('2026-06-01..2026-06-30');
  expect(before.meta.gistar!.error).toBeNull();
  await expect.poll(() => page.url()).toContain('cmp=2026-06-01..2026-06-30');
  await expect.poll(() => page.url()).toContain('c=113.5234,33.2876');
  const url = page.url();
  for (const part of ['mode=analysis', 'z=13.4', `from=${a.from}&to=${a.to}`, 'type=dispute', 'hours=20', 'wd=6', 'layers=gistar:0.75,compare:0.75']) expect(url).toContain(part);
  await page.screenshot({ path: 'test-results/artifacts/analysis-url.png' });

  // Reopen from the URL in a fresh page: the same state, and the layers ask the API for it.
  const compareRequest = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/heat/compare');
  await page.goto(url);
  await waitForGrids(page);
  const req = new URL((await compareRequest).url());
  expect(Object.fromEntries(['from', 'to', 'from2', 'to2', 'type', 'hours', 'weekdays'].map((k) => [k, req.searchParams.get(k)])))
    .toEqual({ from: a.from, to: a.to, from2: '2026-06-01', to2: '2026-06-30', type: 'dispute', hours: '20', weekdays: '6' });
  const after = await settled(page, ['compare', 'gistar']);
  expect(after.view).toEqual(before.view);
  await expect(page.getByTestId('analysis-panel')).toBeVisible();
  await expect(page.getByTestId('filter-type')).toHaveValue('dispute');
  await expect(page.getByTestId('compare-from2')).toHaveValue('2026-06-01');
  await expect(page.getByTestId('compare-to2')).toHaveValue('2026-06-30');
  await expect(page.getByTestId('timebar-range')).toHaveText(`${a.from} 至 ${a.to}`);
  await expect(page.getByTestId('incident-compare')).toBeChecked();
  await expect(page.getByTestId('incident-gistar')).toBeChecked();
  const view = await page.evaluate(() => {
    const m = (window as unknown as Jw).__jw.map;
    return { lng: m.getCenter().lng, lat: m.getCenter().lat, zoom: m.getZoom() };
  });
  expect(view.lng).toBeCloseTo(113.5234, 4);
  expect(view.lat).toBeCloseTo(33.2876, 4);
  expect(view.zoom).toBeCloseTo(13.4, 2);
  expect(page.url()).toBe(url);
});
