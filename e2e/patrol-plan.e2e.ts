import { mkdirSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type PlanHook = { id: number; version: number; state: string; stops: { team: number; seq: number; lon: number; lat: number }[] } | null;
type Jw = { __jw: { map: import('maplibre-gl').Map; plan: () => PlanHook } };

function e2eDatabase() {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${process.env.E2E_DB ?? 'jw_e2e'}`;
  return postgres(url.toString(), { max: 1, onnotice: () => {} });
}

test('a patrol leader generates a plan, drags a stop, publishes, prints the sheet and sees compliance from GPS', async ({ page, guarded, context }) => {
  await loginAs(page, 'minjing');
  await page.goto('/');
  await waitForGrids(page);

  await page.getByTestId('open-plan').click();
  const panel = page.getByTestId('plan-panel');
  await panel.getByTestId('plan-generate').click();
  await expect(panel.getByTestId('plan-state')).toHaveAttribute('data-state', 'draft');
  const stops = panel.getByTestId('plan-stop');
  await expect(stops.first()).toBeVisible();
  const before = await page.evaluate(() => (window as unknown as Jw).__jw.plan());
  expect(before!.version).toBe(1);
  expect(before!.stops.length).toBeGreaterThan(0);

  // Drag stop 1 of team 1 by 80 px on the map: the draft is saved with the new position.
  const marker = page.locator('[data-stop="1-1"]');
  await marker.scrollIntoViewIfNeeded();
  const box = (await marker.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 + 20, { steps: 5 });
  await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 40, { steps: 5 });
  await page.mouse.up();
  await expect(panel.getByTestId('plan-version')).toHaveText(/2$/);
  const moved = await page.evaluate(() => (window as unknown as Jw).__jw.plan());
  const was = before!.stops.find((s) => s.team === 1 && s.seq === 1)!;
  const now = moved!.stops.find((s) => s.team === 1 && s.seq === 1)!;
  expect(now.lon).toBeGreaterThan(was.lon);
  expect(now.lat).toBeLessThan(was.lat);

  // Add a manual stop by clicking the map: appended to team 1.
  const count = await stops.count();
  await panel.getByTestId('plan-add-stop').click();
  await page.mouse.click(700, 420);
  await expect(panel.getByTestId('plan-version')).toHaveText(/3$/);
  await expect(stops).toHaveCount(count + 1);
  await expect(panel.getByTestId('plan-stops-1')).toContainText('人工添加');

  await panel.getByTestId('plan-approve').click();
  await expect(panel.getByTestId('plan-state')).toHaveAttribute('data-state', 'approved');
  await panel.getByTestId('plan-publish').click();
  await expect(panel.getByTestId('plan-state')).toHaveAttribute('data-state', 'published');

  // The one-page sheet, printed by Chromium.
  const sheet = await context.newPage();
  sheet.on('pageerror', (e) => guarded.errors.push(`sheet: ${e.message}`));
  await sheet.route('**/*', (route) => (new URL(route.request().url()).origin === new URL(page.url()).origin || route.request().url().startsWith('data:')
    ? route.continue() : (guarded.external.push(route.request().url()), route.abort())));
  await sheet.goto(`/#/plan/${moved!.id}/print`);
  await expect(sheet.getByTestId('plan-sheet')).toHaveAttribute('data-ready', 'yes');
  await expect(sheet.getByRole('table')).toContainText('巡防理由');
  const pdf = await sheet.pdf({ format: 'A4', printBackground: true });
  mkdirSync('test-results/artifacts', { recursive: true });
  writeFileSync('test-results/artifacts/patrol-sheet.pdf', pdf);
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
  expect(pages).toHaveLength(1);
  expect(pdf.length).toBeGreaterThan(5_000);
  await sheet.close();

  // Tracks arrive: the plan's device stays 15 minutes at stop 1 during the shift.
  const sql = e2eDatabase();
  try {
    const [link] = await sql<{ device_id: number; start: Date }[]>`
      SELECT d.device_id, p.shift_start AS start FROM patrol_plan_device d JOIN patrol_plan p ON p.id = d.plan_id
      WHERE d.plan_id = ${moved!.id} AND d.team = 1 ORDER BY d.device_id LIMIT 1`;
    expect(link, 'the plan has a linked device').toBeTruthy();
    const t0 = link!.start.getTime() + 5 * 60_000;
    const fixes = Array.from({ length: 31 }, (_, i) => ({ device_id: link!.device_id, fixed_at: new Date(t0 + i * 30_000), lon: now.lon, lat: now.lat }));
    await sql`INSERT INTO gps_fix ${sql(fixes)} ON CONFLICT DO NOTHING`;
  } finally {
    await sql.end();
  }
  const api = await page.request.get(`/api/patrol-plans/${moved!.id}/compliance`);
  const compliance = (await api.json()) as { completion: number; stops: { team: number; seq: number; complied: boolean }[] };
  expect(compliance.stops.find((s) => s.team === 1 && s.seq === 1)!.complied).toBe(true);
  await panel.getByTestId('plan-verify').click();
  await expect(panel.getByTestId('plan-completion')).toHaveText(`${Math.round(compliance.completion * 1000) / 10}%`);
  expect(compliance.completion).toBeGreaterThan(0);
  await panel.getByTestId('plan-history').click();
  await expect(panel.getByTestId('plan-history-list')).toContainText('前14天');
  await page.screenshot({ path: 'test-results/artifacts/patrol-plan.png' });
});
