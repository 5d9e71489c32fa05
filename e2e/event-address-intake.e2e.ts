import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map; eventIds: () => number[] } };
interface Match { id: number; address_text: string; grid_id: number; grid_name: string; community_name: string; lon: number; lat: number }

test('an event reported by typing part of an address takes that address, its point and its grid', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  await expect(page.getByTestId('feed-state')).toHaveText('实时');

  // An address from the demo data whose text, without the sub-district name, names it alone.
  const bbox = ((await (await page.request.get('/api/subdistricts')).json()) as { features: { properties: { bbox: number[] } }[] }).features[0]!.properties.bbox;
  const sample = ((await (await page.request.get(`/api/addresses?bbox=${bbox.join(',')}&limit=400`)).json()) as { features: { properties: { address_text: string } }[] }).features;
  let address: Match | null = null;
  let typed = '';
  for (const f of sample) {
    const part = f.properties.address_text.replace(/^院岭街道/, '');
    const { addresses } = (await (await page.request.get(`/api/addresses/search?q=${encodeURIComponent(part)}`)).json()) as { addresses: Match[] };
    const same = addresses.filter((a) => a.address_text === f.properties.address_text);
    if (same.length === 1 && part.length >= 6) {
      address = same[0]!;
      typed = part;
      break;
    }
  }
  expect(address, 'an address named alone by part of its text').not.toBeNull();

  await page.getByTestId('report-event').click();
  const form = page.getByTestId('event-form');
  await expect(form.getByTestId('intake-location')).toHaveText('请在地图上点击事件位置，或输入地址检索');
  await expect(form.getByRole('button', { name: '提交' })).toBeDisabled();
  await form.getByTestId('address-search').pressSequentially(typed, { delay: 20 });
  const option = form.getByTestId('address-option').filter({ hasText: address!.address_text });
  await expect(option).toHaveCount(1);
  await expect(option).toContainText(address!.grid_name);
  await option.click();
  await expect(form.getByTestId('address-option')).toHaveCount(0);
  await expect(form.getByTestId('intake-location')).toContainText(address!.address_text);
  await expect(form.getByTestId('intake-location')).toContainText(address!.grid_name);
  // The map goes to the address and marks it.
  await page.waitForFunction(([x, y]) => {
    const map = (window as unknown as Jw).__jw.map;
    const c = map.getCenter();
    const marked = map.querySourceFeatures('intake').length === 1;
    return marked && Math.abs(c.lng - x!) < 1e-4 && Math.abs(c.lat - y!) < 1e-4;
  }, [address!.lon, address!.lat], { timeout: 10_000 });

  const title = `按地址上报：楼道堆放杂物 ${Date.now()}`;
  await form.locator('select[name=type]').selectOption('hazard');
  await form.locator('select[name=subtype]').selectOption('fire');
  await form.locator('select[name=severity]').selectOption('3');
  await form.locator('input[name=title]').fill(title);
  const created = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().method() === 'POST');
  await form.getByRole('button', { name: '提交' }).click();
  let response = await created;
  if (response.status() === 409) {
    // The demo data has a similar report nearby: the warning shows, and the user confirms.
    await expect(form.getByRole('alert')).toContainText('附近已有类似事件');
    const again = page.waitForResponse((r) => r.url().endsWith('/api/events') && r.request().method() === 'POST');
    await form.getByRole('button', { name: '仍要上报' }).click();
    response = await again;
  }
  expect(response.status(), await response.text()).toBe(201);
  const sent = response.request().postDataJSON() as { address_id: number; lon: number; lat: number };
  expect(sent).toMatchObject({ address_id: address!.id, lon: address!.lon, lat: address!.lat });
  const { event } = (await response.json()) as { event: { id: number; grid_id: number } };
  expect(event.grid_id).toBe(address!.grid_id);

  // The new event reaches the feed and the map, and the list shows it with the address and its grid.
  await expect(page.getByTestId('feed-item').filter({ hasText: title }).first()).toBeVisible();
  await page.waitForFunction((id) => (window as unknown as Jw).__jw.eventIds().includes(id), event.id);
  await page.getByTestId('toggle-event-list').click();
  const row = page.getByTestId('event-list').locator(`[data-testid=event-row][data-event-id="${event.id}"]`);
  await expect(row).toContainText(title);
  await expect(row.getByTestId('event-row-grid')).toContainText(address!.grid_name);
  await expect(row).toContainText(address!.address_text);
  await expect(page.getByTestId('event-detail').locator('h2')).toHaveText(title);

  expect(guarded.errors).toEqual([]);
});
