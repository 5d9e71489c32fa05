import { readFile } from 'node:fs/promises';
import type { APIRequestContext } from '@playwright/test';
import { toShanghaiInput } from '../web/lib/format.ts';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map } };
interface GridFeature { properties: { id: number; name: string; community_id: number; label_point: [number, number] } }

async function csrfOf(request: APIRequestContext): Promise<string> {
  return ((await (await request.get('/api/auth/me')).json()) as { csrfToken: string }).csrfToken;
}

test('the event list filters by grid, time, type, severity and state, follows the live feed, opens an event and exports CSV', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  await expect(page.getByTestId('feed-state')).toHaveText('实时');
  const csrf = await csrfOf(page.request);

  // The list's custom range reads minutes in Asia/Shanghai; events of this test come after `from`.
  // A grid with no event since then (the demo data is older) makes every count known exactly.
  const fromInput = toShanghaiInput(new Date(Date.now() - 60_000));
  const fromIso = new Date(`${fromInput}:00+08:00`).toISOString();
  const grids = ((await (await page.request.get('/api/grids')).json()) as { features: GridFeature[] }).features;
  let grid: GridFeature['properties'] | null = null;
  for (const g of grids) {
    const { total } = (await (await page.request.get(`/api/events?grid_id=${g.properties.id}&from=${encodeURIComponent(fromIso)}&limit=1`)).json()) as { total: number };
    if (total === 0) {
      grid = g.properties;
      break;
    }
  }
  expect(grid, 'a grid without events in the last minute').not.toBeNull();
  const [lon, lat] = grid!.label_point;

  const stamp = Date.now();
  const report = async (type: string, subtype: string | null, severity: number, title: string) => {
    const res = await page.request.post('/api/events', {
      headers: { 'x-csrf-token': csrf },
      data: { type, ...(subtype ? { subtype } : {}), ...(type === 'dispute' ? { complexity: 'general' } : {}), severity, title: `${title} ${stamp}`, lon, lat, allow_duplicate: true },
    });
    expect(res.status(), await res.text()).toBe(201);
    return ((await res.json()) as { event: { id: number; version: number } }).event;
  };
  const fireA = await report('hazard', 'fire', 3, '加油站旁堆放易燃物');
  const traffic = await report('hazard', 'traffic', 3, '路口信号灯损坏');
  await report('hazard', 'fire', 4, '仓库冒烟');
  await report('dispute', 'neighbour', 3, '邻里漏水纠纷');

  await page.getByTestId('toggle-event-list').click();
  const list = page.getByTestId('event-list');
  const count = list.getByTestId('event-list-count');
  await expect(list.getByTestId('event-row').first()).toBeVisible();

  await list.getByTestId('filter-community').selectOption(String(grid!.community_id));
  await list.getByTestId('filter-grid').selectOption(String(grid!.id));
  await list.getByTestId('filter-range').selectOption('custom');
  await list.getByTestId('filter-from').fill(fromInput);
  await expect(count).toHaveText('4');
  await expect(list.getByTestId('event-row')).toHaveCount(4);

  await list.getByTestId('filter-type-hazard').click();
  await expect(count).toHaveText('3');
  await list.getByTestId('filter-severity-3').click();
  await expect(count).toHaveText('2');
  await list.getByTestId('filter-state-reported').click();
  await expect(count).toHaveText('2');

  // Live: another console accepts one (it leaves the "reported" filter), then a new one arrives.
  const accepted = await page.request.post(`/api/events/${fireA.id}/transitions`, {
    headers: { 'x-csrf-token': csrf }, data: { action: 'accept', expected_version: fireA.version },
  });
  expect(accepted.status()).toBe(200);
  await expect(count).toHaveText('1');
  await report('hazard', 'building', 3, '危房外墙脱落');
  await expect(count).toHaveText('2');
  await list.getByTestId('filter-state-reported').click();
  await list.getByTestId('filter-state-accepted').click();
  await expect(count).toHaveText('1');
  await list.getByTestId('filter-state-accepted').click();
  await expect(count).toHaveText('3');
  await list.getByTestId('filter-subtype').selectOption('traffic');
  await expect(count).toHaveText('1');

  // A row opens the event and brings the map to it.
  const row = list.locator(`[data-testid=event-row][data-event-id="${traffic.id}"]`);
  await expect(row).toContainText(grid!.name);
  await row.locator('td.where').click();
  const detail = page.getByTestId('event-detail');
  await expect(detail.locator('h2')).toHaveText(`路口信号灯损坏 ${stamp}`);
  await expect(detail.getByTestId('event-state')).toHaveText('上报');
  await page.waitForFunction(([x, y]) => {
    const c = (window as unknown as Jw).__jw.map.getCenter();
    return Math.abs(c.lng - x!) < 1e-4 && Math.abs(c.lat - y!) < 1e-4;
  }, [lon, lat], { timeout: 10_000 });

  // Export: what the filters select, as CSV with a BOM.
  await list.getByTestId('filter-subtype').selectOption('');
  await expect(count).toHaveText('3');
  const downloading = page.waitForEvent('download');
  await list.getByTestId('event-list-export').click();
  const file = await (await downloading).path();
  const text = await readFile(file, 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const lines = text.slice(1).split('\r\n').filter(Boolean);
  expect(lines[0]).toMatch(/^事件编号,上报时间,标题,类型/);
  expect(lines).toHaveLength(4);
  expect(lines.slice(1).every((l) => l.includes('风险隐患') && l.includes(grid!.name))).toBe(true);

  expect(guarded.errors).toEqual([]);
});
