import { expect, loginAs, test, waitForGrids } from './fixtures.ts';
import { KPI_KEYS, formatRate } from '../web/lib/map/choropleth.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map } };
interface Item { kind: string; id: number; name: string; lon: number; lat: number; bbox: [number, number, number, number] | null; grid_id: number | null }
interface Groups { groups: { kind: string; items: Item[] }[] }

/** Where a point is drawn, and the zoom. */
const project = (page: import('@playwright/test').Page, lonLat: [number, number]) =>
  page.evaluate((p) => {
    const map = (window as unknown as Jw).__jw.map;
    const { x, y } = map.project(p);
    return { x, y, zoom: map.getZoom(), moving: map.isMoving() };
  }, lonLat);

// The part of a 1920×1080 view that no panel covers (layer panel left, cards right, header top).
const clear = (p: { x: number; y: number }) => p.x > 250 && p.x < 1920 - 400 && p.y > 60 && p.y < 1080 - 30;

test('search: part of a grid name finds it; choosing it flies there and opens its panel with the KPIs', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  const grids = (await (await page.request.get('/api/grids')).json()) as { features: { properties: { id: number; name: string; community_name: string } }[] };
  // A grid far from the first view's centre: the last one.
  const grid = grids.features[grids.features.length - 1]!.properties;
  const part = grid.name.replace(/网格$/, '').slice(-6);
  const zoomBefore = await page.evaluate(() => (window as unknown as Jw).__jw.map.getZoom());

  await page.getByTestId('search-input').fill(part);
  const results = page.getByTestId('search-results');
  await expect(results.getByTestId('search-group-grid')).toBeVisible();
  await expect(results.getByTestId(`search-item-grid-${grid.id}`)).toContainText(grid.name);
  const api = (await (await page.request.get(`/api/search?q=${encodeURIComponent(part)}`)).json()) as Groups;
  const item = api.groups.find((g) => g.kind === 'grid')!.items.find((i) => i.id === grid.id)!;
  await results.getByTestId(`search-item-grid-${grid.id}`).click();

  // The panel opens with the grid's KPIs, equal to /api/stats/grids/:id.
  const card = page.getByTestId('grid-card');
  await expect(card).toContainText(grid.name);
  const detail = (await (await page.request.get(`/api/stats/grids/${grid.id}`)).json()) as { kpi: Record<string, number | null> };
  for (const k of KPI_KEYS) await expect(card.getByTestId(`grid-kpi-value-${k}`)).toHaveText(formatRate(detail.kpi[k]));
  await expect(card.getByTestId('grid-staff')).toContainText('网格长');
  // …and the grid is outlined on the map.
  expect(await page.evaluate((id) => (window as unknown as Jw).__jw.map.getFeatureState({ source: 'grids', id }).selected, grid.id)).toBe(true);

  // The map flew in: the grid is drawn in the clear part of the view, bigger than before.
  await expect.poll(async () => {
    const p = await project(page, [item.lon, item.lat]);
    return !p.moving && clear(p) && p.zoom > zoomBefore + 0.5;
  }, { timeout: 10_000 }).toBe(true);
  const [a, b, c, d] = item.bbox!;
  const corners = await Promise.all([project(page, [a, b]), project(page, [c, d])]);
  expect(corners.every(clear), JSON.stringify(corners)).toBe(true);
  await page.screenshot({ path: 'test-results/e2e/search-grid.png' });
});

test('search: part of an address finds it; choosing it flies to the point and opens its grid', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  const query = '东升街125号附3';
  await page.getByTestId('search-input').fill(query);
  const api = (await (await page.request.get(`/api/search?q=${encodeURIComponent(query)}`)).json()) as Groups;
  const address = api.groups.find((g) => g.kind === 'address')!.items[0]!;
  expect(address.name).toContain(query);
  await expect(page.getByTestId('search-group-address')).toBeVisible();
  // Keyboard: the first result (grids come first, there are none) is active; Enter chooses it.
  await expect(page.getByTestId(`search-item-address-${address.id}`)).toHaveClass(/active/);
  await page.getByTestId('search-input').press('Enter');
  await expect(page.getByTestId('search-results')).toHaveCount(0);
  await expect.poll(async () => {
    const p = await project(page, [address.lon, address.lat]);
    return !p.moving && clear(p) && p.zoom >= 17 - 0.01;
  }, { timeout: 10_000 }).toBe(true);
  await expect(page.getByTestId('grid-card')).toHaveAttribute('data-grid-id', String(address.grid_id));
});

test('search as an analyst: places only, and the grid panel shows KPIs without names or lists', async ({ page }) => {
  await loginAs(page, 'yanpan');
  await page.goto('/');
  await waitForGrids(page);
  const grids = (await (await page.request.get('/api/grids')).json()) as { features: { properties: { id: number; name: string } }[] };
  const grid = grids.features[0]!.properties;
  await page.getByTestId('search-input').fill(grid.name);
  await expect(page.getByTestId(`search-item-grid-${grid.id}`)).toBeVisible();
  await expect(page.getByTestId('search-group-address')).toHaveCount(0);
  await page.getByTestId(`search-item-grid-${grid.id}`).click();
  const card = page.getByTestId('grid-card');
  const { rows } = (await (await page.request.get('/api/stats/grids')).json()) as { rows: Record<string, number | null>[] };
  const row = rows.find((r) => r.unit_id === grid.id)!;
  for (const k of KPI_KEYS) await expect(card.getByTestId(`grid-kpi-value-${k}`)).toHaveText(formatRate(row[k]));
  await expect(card.getByTestId('grid-staff')).toHaveCount(0);
  await expect(card.getByTestId('drill-unregistered')).toHaveCount(0);
});
