import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map; eventIds: () => number[]; markLatency: (id: number) => number | null } };

test('an event reported by clicking the map reaches a second console within 1 s and walks the closed loop', async ({ page, guarded, browser }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  await expect(page.getByTestId('feed-state')).toHaveText('实时');

  const watcherContext = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const watcher = await watcherContext.newPage();
  const watcherErrors: string[] = [];
  watcher.on('pageerror', (e) => watcherErrors.push(e.message));
  await loginAs(watcher, 'zhihui');
  await watcher.goto('/');
  await waitForGrids(watcher);
  await expect(watcher.getByTestId('feed-state')).toHaveText('实时');

  // A spot inside a grid in the clear middle of the view.
  const spot = await page.evaluate(() => {
    const map = (window as unknown as Jw).__jw.map;
    for (const f of map.queryRenderedFeatures({ layers: ['grid-fill'] })) {
      const p = map.project(JSON.parse(String(f.properties.label_point)) as [number, number]);
      if (p.x > 500 && p.x < 1400 && p.y > 200 && p.y < 800) return { x: p.x + 7, y: p.y + 7 };
    }
    throw new Error('no grid in the clear part of the view');
  });
  await page.getByTestId('report-event').click();
  await page.mouse.click(spot.x, spot.y);
  const form = page.getByTestId('event-form');
  // A support request: its 1 h deadline falls today, so today's closure KPI counts it.
  await form.locator('select[name=type]').selectOption('support_request');
  await form.locator('select[name=severity]').selectOption('3');
  await form.locator('input[name=title]').fill(`醉酒滋事请求支援 ${Date.now()}`);
  const created = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().method() === 'POST');
  await form.getByRole('button', { name: '提交' }).click();
  let response = await created;
  if (response.status() === 409) {
    // A similar report nearby from an earlier run: confirm it as a new event.
    const again = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().method() === 'POST');
    await form.getByRole('button', { name: '仍要上报' }).click();
    response = await again;
  }
  expect(response.status()).toBe(201);
  const { event } = (await response.json()) as { event: { id: number; grid_id: number; due_at: string } };
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const dueToday = new Date(new Date(event.due_at).getTime() + 8 * 3600_000).toISOString().slice(0, 10) === today;
  const closure = async () => ((await (await page.request.get(`/api/stats/grids/${event.grid_id}?from=${today}&to=${today}`)).json()) as { kpi: { events_due: number; events_closed: number } }).kpi;
  const before = await closure();

  await watcher.waitForFunction((id) => (window as unknown as Jw).__jw.eventIds().includes(id), event.id, { timeout: 5000, polling: 25 });
  // Measured by the watching console itself: from the server's timestamp of the new event (taken
  // when the report arrived, before it was committed) to the moment its map marked it.
  const latencyMs = (await watcher.evaluate((id) => (window as unknown as Jw).__jw.markLatency(id), event.id))!;
  console.log(`new event marked on the second console's map ${latencyMs} ms after the server received the report`);
  expect(latencyMs).toBeLessThan(1000);
  await expect(watcher.getByTestId('feed-item').first()).toContainText('醉酒滋事请求支援');

  const detail = page.getByTestId('event-detail');
  await expect(detail.getByTestId('event-state')).toHaveText('上报');
  for (const [action, state] of [['accept', '受理'], ['assign', '分派'], ['start', '处置中'], ['resolve', '办结待核'], ['close', '已办结']] as const) {
    await detail.getByTestId(`action-${action}`).click();
    await expect(detail.getByTestId('event-state')).toHaveText(state);
  }
  await expect(detail.locator('.timeline li')).toHaveCount(6);
  const after = await closure();
  // Only in the last hour before midnight (Asia/Shanghai) does the deadline fall on tomorrow.
  if (dueToday) {
    expect(after.events_due).toBe(before.events_due);
    expect(after.events_closed).toBe(before.events_closed + 1);
  }
  await expect(watcher.getByTestId('feed-item').first()).toContainText('已办结');
  expect(watcherErrors).toEqual([]);
  expect(guarded.errors).toEqual([]);
  await watcherContext.close();
});
