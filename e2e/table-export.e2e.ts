import { readFile } from 'node:fs/promises';
import type { Download, Page } from '@playwright/test';
import { areaTable, type AreaStats } from '../web/lib/area-stats.ts';
import { drawPolygon, QUAD } from './draw.ts';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

interface Fc { type: string; features: { type: string; geometry: { type: string; coordinates: unknown }; properties: Record<string, unknown> }[] }

async function save(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const downloading = page.waitForEvent('download');
  await click();
  const d: Download = await downloading;
  return { name: d.suggestedFilename(), text: await readFile((await d.path())!, 'utf8') };
}

/** CSV rows after the header (the file is ours: fields with line breaks are not expected). */
function csvRows(text: string, header: RegExp): string[] {
  expect(text.charCodeAt(0), 'UTF-8 BOM').toBe(0xfeff);
  const lines = text.slice(1).split('\r\n');
  expect(lines.pop()).toBe('');
  expect(lines[0]).toMatch(header);
  return lines.slice(1);
}

function geojson(text: string): Fc {
  const fc = JSON.parse(text) as Fc;
  expect(fc.type).toBe('FeatureCollection');
  for (const f of fc.features) {
    expect(f.type).toBe('Feature');
    expect(['Point', 'Polygon', 'MultiPolygon']).toContain(f.geometry.type);
    expect(Array.isArray(f.geometry.coordinates)).toBe(true);
  }
  return fc;
}

const dated = (title: string, ext: string) => new RegExp(`^${title}-\\d{8}-\\d{4}\\.${ext}$`);

// The machine is shared (2 cores, several sessions): the default 60 s is too tight for drawing, downloads and their checks.
test.setTimeout(180_000);

test('export: the event list, the grid KPI table and the 框选统计 result as CSV (BOM) and GeoJSON, with the API\'s row counts', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);

  // Event list: the export takes the filtered rows in one answer; both files hold exactly those rows.
  await page.getByTestId('toggle-event-list').click();
  const list = page.getByTestId('event-list');
  await expect(list.getByTestId('event-row').first()).toBeVisible();
  await list.getByTestId('filter-type-hazard').click();
  const exportRequest = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/events' && new URL(r.url()).searchParams.get('limit') === '2000');
  const csv = await save(page, () => list.getByTestId('event-list-export').click());
  const url = new URL((await exportRequest).url());
  const { events } = (await (await page.request.get(url.pathname + url.search)).json()) as { events: { code: string }[] };
  expect(events.length).toBeGreaterThan(0);
  expect(csv.name).toMatch(dated('事件列表', 'csv'));
  const rows = csvRows(csv.text, /^事件编号,上报时间,标题,类型/);
  expect(rows).toHaveLength(events.length);
  expect(rows.map((r) => r.split(',')[0])).toEqual(events.map((e) => e.code));
  const gj = await save(page, () => list.getByTestId('event-list-export-geojson').click());
  expect(gj.name).toMatch(dated('事件列表', 'geojson'));
  const fc = geojson(gj.text);
  expect(fc.features).toHaveLength(events.length);
  expect(fc.features.map((f) => f.properties['事件编号'])).toEqual(events.map((e) => e.code));
  expect(fc.features.every((f) => f.geometry.type === 'Point')).toBe(true);
  await page.getByTestId('toggle-event-list').click();
  await expect(list).toHaveCount(0);

  // Grid KPI table: the window the legend names, every grid, as CSV and on the grid polygons.
  await page.getByTestId('kpi-select').selectOption('registration_rate');
  const legendWindow = page.getByTestId('kpi-window');
  await expect(legendWindow).toBeVisible();
  const from = (await legendWindow.getAttribute('data-from'))!;
  const to = (await legendWindow.getAttribute('data-to'))!;
  const { rows: kpis } = (await (await page.request.get(`/api/stats/grids?from=${from}&to=${to}`)).json()) as { rows: { code: string; registration_rate: number | null }[] };
  const kcsv = await save(page, () => page.getByTestId('kpi-export-csv').click());
  expect(kcsv.name).toMatch(dated('网格考核指标', 'csv'));
  const krows = csvRows(kcsv.text, /^网格ID,网格编码,网格名称,面积\(平方米\),地址数,已登记地址,一标三实登记率/);
  expect(krows).toHaveLength(kpis.length);
  expect(krows.map((r) => r.split(',')[1])).toEqual(kpis.map((k) => k.code));
  expect(krows.every((r) => r.endsWith(`,${from},${to}`))).toBe(true);
  const kgj = await save(page, () => page.getByTestId('kpi-export-geojson').click());
  expect(kgj.name).toMatch(dated('网格考核指标', 'geojson'));
  const kfc = geojson(kgj.text);
  expect(kfc.features).toHaveLength(kpis.length);
  expect(kfc.features.map((f) => [f.properties['网格编码'], f.properties['一标三实登记率']])).toEqual(kpis.map((k) => [k.code, k.registration_rate]));

  // 框选统计: the panel's numbers, one per CSV row; the polygon plus each grid it touches as GeoJSON.
  await page.getByTestId('tool-select').click();
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/stats/area');
  await drawPolygon(page, QUAD);
  const api = (await (await answer).json()) as AreaStats;
  await expect(page.getByTestId('area-addresses')).toHaveText(String(api.addresses.total));
  const acsv = await save(page, () => page.getByTestId('area-export-csv').click());
  expect(acsv.name).toMatch(dated('框选统计', 'csv'));
  const arows = csvRows(acsv.text, /^分类,项目,数值$/);
  expect(arows).toHaveLength(areaTable(api).body.length);
  expect(arows).toContain(`标准地址,总数,${api.addresses.total}`);
  const agj = await save(page, () => page.getByTestId('area-export-geojson').click());
  expect(agj.name).toMatch(dated('框选统计', 'geojson'));
  const afc = geojson(agj.text);
  expect(afc.features).toHaveLength(1 + api.grids.length);
  expect(afc.features[0]!.geometry.type).toBe('Polygon');
  expect(afc.features[0]!.properties['地址数']).toBe(api.addresses.total);
  expect(afc.features.slice(1).map((f) => f.properties['网格ID'])).toEqual(api.grids.map((g) => g.grid_id));
});
