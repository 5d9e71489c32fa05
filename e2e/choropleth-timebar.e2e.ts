import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map; gridKpi: () => { window: { from: string; to: string } | null } } };
interface Row { unit_id: number; closure_rate: number | null; events_due: number }

// The machine is shared (2 cores, several sessions): the default 60 s is too tight for drawing, downloads and their checks.
test.setTimeout(180_000);

test('grid choropleth follows the time bar: a brushed range refetches the KPIs for that window', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  const kpiRequests: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/stats/grids') kpiRequests.push(u.search);
  });

  await page.getByTestId('kpi-select').selectOption('closure_rate');
  await expect(page.getByTestId('kpi-period')).toHaveValue('timebar');
  const legendWindow = page.getByTestId('kpi-window');
  await expect(legendWindow).toBeVisible();

  // Brush about a third of the histogram, with many pointer moves: one request for the settled range.
  const hist = page.getByTestId('timebar-hist');
  const box = (await hist.boundingBox())!;
  const before = kpiRequests.length;
  await page.mouse.move(box.x + box.width * 0.3, box.y + 20);
  await page.mouse.down();
  for (const f of [0.4, 0.5, 0.6]) await page.mouse.move(box.x + box.width * f, box.y + 25, { steps: 5 });
  await page.mouse.up();
  const text = (await page.getByTestId('timebar-range').textContent())!;
  const [from, to] = text.split(' 至 ') as [string, string];
  expect(from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await expect(legendWindow).toHaveAttribute('data-from', from);
  await expect(legendWindow).toHaveAttribute('data-to', to);
  await expect(legendWindow).toContainText(`${from} 至 ${to}`);
  await expect(legendWindow).toContainText('跟随时间轴');
  expect(kpiRequests.slice(before)).toEqual([`?format=columns&from=${from}&to=${to}`]);

  // One grid's feature state is the API's number for that window.
  const { rows } = (await (await page.request.get(`/api/stats/grids?from=${from}&to=${to}`)).json()) as { rows: Row[] };
  const known = rows.find((r) => r.events_due > 0 && r.closure_rate !== null) ?? rows[0]!;
  await expect.poll(() => page.evaluate((id) => (window as unknown as Jw).__jw.map.getFeatureState({ source: 'grids', id }).kpi ?? null, known.unit_id))
    .toBe(known.closure_rate);
  const all = await page.evaluate((ids) => ids.map((id) => (window as unknown as Jw).__jw.map.getFeatureState({ source: 'grids', id }).kpi ?? null), rows.map((r) => r.unit_id));
  expect(all).toEqual(rows.map((r) => r.closure_rate));
  expect(await page.evaluate(() => (window as unknown as Jw).__jw.gridKpi().window)).toMatchObject({ from, to });

  // A fixed period stops following: brushing again leaves the statistics alone.
  await page.getByTestId('kpi-period').selectOption('7d');
  await expect(legendWindow).toContainText('近7天');
  const fixed = kpiRequests.length;
  await page.getByTestId('preset-30d').click();
  await page.waitForTimeout(800);
  expect(kpiRequests.length).toBe(fixed);
  await page.screenshot({ path: 'test-results/e2e/choropleth-timebar.png' });
});
