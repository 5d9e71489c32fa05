import { expect, loginAs, test, waitForGrids } from './fixtures.ts';
import { KPI_CLASSES, classCounts, type KpiKey } from '../web/lib/map/choropleth.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map } };
interface Row { unit_id: number; registration_rate: number | null; patrol_coverage: number | null }

/** The value the map holds for each grid in feature state, by grid id. */
function featureStates(page: import('@playwright/test').Page, ids: number[]) {
  return page.evaluate((ids) => {
    const map = (window as unknown as Jw).__jw.map;
    return ids.map((id) => (map.getFeatureState({ source: 'grids', id }) as { kpi?: number | null }).kpi ?? null);
  }, ids);
}

test('grid choropleth: the legend and the feature state match /api/stats/grids, and survive a base map switch', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  // Statistics are joined to the grid source already on the map: the GeoJSON is never fetched again.
  const gridFetches: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/grids') gridFetches.push(r.url());
  });

  await page.getByTestId('kpi-select').selectOption('registration_rate');
  await expect(page.getByTestId('kpi-legend')).toBeVisible();
  const { rows } = (await (await page.request.get('/api/stats/grids')).json()) as { rows: Row[] };
  const ids = rows.map((r) => r.unit_id);
  expect(ids.length).toBeGreaterThan(10);

  const check = async (kpi: KpiKey & keyof Row) => {
    const expected = rows.map((r) => r[kpi]);
    await expect.poll(() => featureStates(page, ids)).toEqual(expected);
    const counts = classCounts(expected);
    for (const c of KPI_CLASSES) await expect(page.getByTestId(`legend-count-${c.id}`)).toHaveText(String(counts[c.id]));
    // The fill colour is read from feature state, not from properties.
    expect(JSON.stringify(await page.evaluate(() => (window as unknown as Jw).__jw.map.getPaintProperty('grid-fill', 'fill-color')))).toContain('"feature-state","kpi"');
  };
  await check('registration_rate');
  await page.screenshot({ path: 'test-results/e2e/grid-choropleth.png' });
  // A known grid, spelled out: its state is the API's number itself.
  const known = rows.find((r) => r.registration_rate !== null && r.registration_rate > 0 && r.registration_rate < 1) ?? rows[0]!;
  expect(await page.evaluate((id) => (window as unknown as Jw).__jw.map.getFeatureState({ source: 'grids', id }).kpi, known.unit_id)).toBe(known.registration_rate);

  await page.getByTestId('kpi-select').selectOption('patrol_coverage');
  await check('patrol_coverage');

  // Opacity slider drives the layer's paint.
  await page.getByTestId('kpi-opacity').fill('0.4');
  await expect.poll(() => page.evaluate(() => JSON.stringify((window as unknown as Jw).__jw.map.getPaintProperty('grid-fill', 'fill-opacity')))).toContain('0.4');

  await page.getByTestId('basemap-light').click();
  await expect.poll(() => page.evaluate(() => {
    const bg = (window as unknown as Jw).__jw.map.getStyle().layers.find((l) => l.type === 'background');
    return bg?.type === 'background' ? bg.paint?.['background-color'] : undefined;
  })).toBe('#eef1f5');
  await waitForGrids(page);
  await check('patrol_coverage');
  expect(JSON.stringify(await page.evaluate(() => (window as unknown as Jw).__jw.map.getPaintProperty('grid-fill', 'fill-opacity')))).toContain('0.4');

  // Hiding and showing the grid layer keeps the states too.
  await page.getByTestId('layer-grids').uncheck();
  await page.getByTestId('layer-grids').check();
  await check('patrol_coverage');

  // Back to plain grids: the original paint returns.
  await page.getByTestId('kpi-select').selectOption('');
  await expect(page.getByTestId('kpi-legend')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as Jw).__jw.map.getPaintProperty('grid-fill', 'fill-color'))).toBe('#3ea6ff');
  expect(gridFetches).toEqual([]);
});
