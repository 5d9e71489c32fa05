import { area, polygon } from '@turf/turf';
import type { AreaStats } from '../web/lib/area-stats.ts';
import { drawPolygon, QUAD } from './draw.ts';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

// The machine is shared (2 cores, several sessions): the default 60 s is too tight for drawing, downloads and their checks.
test.setTimeout(180_000);

test('框选统计: a drawn polygon is checked with turf, then its counts come from /api/stats/area and match it', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  await page.getByTestId('tool-select').click();
  await expect(page.getByTestId('measure-result')).toHaveText('单击添加顶点，双击闭合');

  // A bowtie: refused at once, nothing asked of the server.
  let areaRequests = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/stats/area') areaRequests++; });
  await drawPolygon(page, [[700, 330], [1150, 650], [1150, 330], [700, 650]]);
  await expect(page.getByTestId('measure-result')).toHaveText('多边形自相交，请重新绘制');
  await expect(page.getByTestId('area-stats')).toHaveCount(0);
  expect(areaRequests).toBe(0);

  // A simple polygon: the area is turf's, and the panel shows what the API says for that polygon.
  const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/stats/area');
  const at = await drawPolygon(page, QUAD);
  const body = (await sent).postDataJSON() as { polygon: { type: 'Polygon'; coordinates: [number, number][][] }; from: string; to: string };
  const ring = body.polygon.coordinates[0]!;
  expect(ring).toHaveLength(QUAD.length + 1);
  ring.slice(0, -1).forEach((p, i) => {
    expect(p[0]).toBeCloseTo(at[i]![0], 6);
    expect(p[1]).toBeCloseTo(at[i]![1], 6);
  });
  const m2 = area(polygon([ring]));
  await expect(page.getByTestId('measure-result')).toHaveText(m2 < 1e6 ? `面积 ${Math.round(m2).toLocaleString('zh-CN')} 平方米` : `面积 ${(m2 / 1e6).toFixed(3)} 平方千米`);
  const range = (await page.getByTestId('timebar-range').textContent())!.split(' 至 ');
  expect([body.from, body.to]).toEqual(range);

  const res = await page.request.post('/api/stats/area', { data: body, headers: { 'x-csrf-token': await csrf(page) } });
  expect(res.status(), await res.text()).toBe(200);
  const api = (await res.json()) as AreaStats;
  expect(Math.abs(api.area_m2 - m2) / m2).toBeLessThan(0.005);
  expect(api.addresses.total).toBeGreaterThan(0);
  const panel = page.getByTestId('area-stats');
  await expect(panel.getByTestId('area-window')).toContainText(`${api.window.from} 至 ${api.window.to}`);
  await expect(panel.getByTestId('area-addresses')).toHaveText(String(api.addresses.total));
  await expect(panel.getByTestId('area-events')).toHaveText(String(api.events.reported));
  await expect(panel.getByTestId('area-visits')).toHaveText(String(api.visits.total));
  await expect(panel.getByTestId('area-key-locations')).toHaveText(String(api.key_locations.total));
  await expect(panel.getByTestId('area-joint-points')).toHaveText(String(api.joint_defense_points));
  await expect(panel.getByTestId('area-bars-type').locator('li')).toHaveCount(api.events.by_type.length);
  await expect(panel.getByTestId('area-bars-grids').locator('li')).toHaveCount(api.grids.length);
  expect(api.grids.length).toBeGreaterThan(0);
  await page.screenshot({ path: 'test-results/e2e/area-stats.png' });

  // Clearing the drawing closes the panel.
  await page.getByTestId('tool-clear').click();
  await expect(panel).toHaveCount(0);
});

async function csrf(page: import('@playwright/test').Page): Promise<string> {
  return ((await (await page.request.get('/api/auth/me')).json()) as { csrfToken: string }).csrfToken;
}
