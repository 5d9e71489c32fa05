import type { FeatureCollection } from 'geojson';
import { DEMO_PASSWORD, E2E_PASSWORD, expect, test, waitForGrids } from './fixtures.ts';

test('a grid leader logs in, must change the demo password, then sees only their own grid', async ({ page, guarded }) => {
  await page.goto('/');
  const form = page.getByTestId('login-form');
  await form.getByLabel('用户名').fill('wanggezhang');
  await form.getByLabel('密码').fill('wrong-password');
  await form.getByRole('button', { name: '登录' }).click();
  await expect(form.getByRole('alert')).toContainText('用户名或密码错误');

  await form.getByLabel('密码').fill(DEMO_PASSWORD);
  await form.getByRole('button', { name: '登录' }).click();
  const change = page.getByTestId('password-form');
  await expect(change).toBeVisible();
  await change.getByLabel('当前密码').fill(DEMO_PASSWORD);
  await change.getByLabel('新密码', { exact: true }).fill('short');
  await change.getByLabel('再次输入新密码').fill('short');
  await change.getByRole('button', { name: '修改密码' }).click();
  await expect(change.getByRole('alert')).toContainText('至少10位');
  await change.getByLabel('新密码', { exact: true }).fill(E2E_PASSWORD);
  await change.getByLabel('再次输入新密码').fill(E2E_PASSWORD);
  await change.getByRole('button', { name: '修改密码' }).click();

  const drawn = await waitForGrids(page);
  expect(drawn).toBe(1);
  await expect(page.getByTestId('current-user')).toContainText('网格长');
  const grids = (await (await page.request.get('/api/grids')).json()) as FeatureCollection;
  expect(grids.features).toHaveLength(1);

  await page.getByRole('button', { name: '退出' }).click();
  await expect(page.getByTestId('login-form')).toBeVisible();
  expect((await page.request.get('/api/grids')).status()).toBe(401);
  expect(guarded.errors).toEqual([]);
});
