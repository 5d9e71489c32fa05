import { mkdirSync } from 'node:fs';
import { expect, loginAs, test } from './fixtures.ts';

test.use({ viewport: { width: 3840, height: 2160 } });

type Kpi = { registration_rate: number | null; closure_rate: number | null; visit_coverage_rate: number | null; patrol_coverage: number | null };

test('the wall screen shows the API’s KPIs and a new event in its ticker, at 3840×2160', async ({ page, guarded, browser }) => {
  test.setTimeout(120_000);
  await loginAs(page, 'dapin');
  await page.goto('/screen');
  const tile = (k: string) => page.getByTestId(`kpi-${k}`);
  await expect(tile('registration')).not.toHaveAttribute('data-value', '');

  // The tiles carry exactly the numbers the API gives the same account.
  const api = (await (await page.request.get('/api/stats/subdistrict')).json()) as { rows: Kpi[] };
  const sd = api.rows[0]!;
  for (const [key, value] of [['registration', sd.registration_rate], ['closure', sd.closure_rate], ['visits', sd.visit_coverage_rate], ['patrol', sd.patrol_coverage]] as const) {
    await expect(tile(key)).toHaveAttribute('data-value', value === null ? '' : String(value));
    await expect(tile(key).locator('strong')).toHaveText(value === null ? '—' : `${(value * 100).toFixed(1)}%`);
  }
  await expect(page.getByTestId('reconnecting')).toHaveCount(0);

  // Command reports a severity-3 event (the wall screen hears the command group): it reaches the ticker.
  const ctx = await browser.newContext();
  const commander = await ctx.newPage();
  await loginAs(commander, 'zhihui');
  const me = (await (await commander.request.get('/api/auth/me')).json()) as { csrfToken: string };
  const grids = (await (await commander.request.get('/api/grids')).json()) as { features: { properties: { label_point: [number, number] } }[] };
  const [lon, lat] = grids.features[3]!.properties.label_point;
  const res = await commander.request.post('/api/events', {
    data: { type: 'public_security', subtype: 'fight', severity: 3, title: `大屏测试 ${Date.now()}`, lon: lon + 0.0004, lat, allow_duplicate: true },
    headers: { 'x-csrf-token': me.csrfToken },
  });
  expect(res.status(), await res.text()).toBe(201);
  const { event } = (await res.json()) as { event: { id: number; code: string } };
  const item = page.getByTestId('ticker').locator(`li[data-event-id="${event.id}"]`);
  await expect(item).toBeVisible();
  await expect(item).toContainText(event.code);
  await expect(item).not.toContainText('大屏测试'); // aggregate-only: no free text
  await ctx.close();

  // Let the map draw its layers, then keep the 4K screenshot.
  await page.waitForFunction(() => (window as unknown as { __jw?: { map: import('maplibre-gl').Map } }).__jw?.map.loaded() ?? false, undefined, { timeout: 30_000 });
  await page.waitForTimeout(1500);
  mkdirSync('test-results/artifacts', { recursive: true });
  await page.screenshot({ path: 'test-results/artifacts/screen-4k.png' });
  expect(guarded.errors).toEqual([]);
});
