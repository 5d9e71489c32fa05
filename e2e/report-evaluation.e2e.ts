import { expect, loginAs, test } from './fixtures.ts';

test('the monthly report shows the mutual evaluation tables to command', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/reports/monthly');
  const report = page.getByTestId('report');
  await expect(report.locator('h1')).toContainText('月讲评');
  for (const role of ['grid_leaders', 'police']) {
    const section = page.getByTestId(`evaluation-${role}`);
    await expect(section.locator('h2')).toContainText('双向评价');
    await expect(section.locator('table, .empty')).toBeVisible();
  }
  await expect(page.getByTestId('evaluation-grid_leaders').locator('th').first()).toHaveText('名次');
  expect(guarded.errors).toEqual([]);
});
