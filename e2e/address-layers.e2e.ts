import type { Page } from '@playwright/test';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Meta = { loading: boolean; error: string | null; count: number; seq: number; bbox: number[]; highlighted: number; general: number; generalShown: boolean };
type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => { props: { data: { length: number } } } | undefined;
    overlays: () => { meta: Record<string, Meta | undefined> };
  };
};

async function settled(page: Page, id: string, after = 0): Promise<Meta> {
  await page.waitForFunction(([id, after]) => {
    const jw = (window as unknown as Jw).__jw;
    const m = jw.overlays().meta[id as string];
    return !!m && !m.loading && m.seq > (after as number) && !m.error && jw.map.loaded() && !jw.map.isMoving();
  }, [id, after] as const, { timeout: 60_000 });
  return page.evaluate((id) => (window as unknown as Jw).__jw.overlays().meta[id]!, id);
}
const drawn = (page: Page, id: string) => page.evaluate((id) => (window as unknown as Jw).__jw.deck(id)?.props.data.length ?? null, id);
const bboxOf = (m: Meta) => m.bbox.map((x) => x.toFixed(5)).join(',');
async function apiCount(page: Page, path: string): Promise<number> {
  const res = await page.request.get(path);
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { count?: number; persons?: unknown[] };
  return body.count ?? body.persons!.length;
}

test('addresses: key and attention at every zoom, general ones only from zoom 15; persons of concern for command', async ({ page }) => {
  test.setTimeout(180_000);
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  expect(await page.evaluate(() => (window as unknown as Jw).__jw.map.getZoom())).toBeLessThan(15);

  await page.getByTestId('overlay-addresses').check();
  const far = await settled(page, 'addresses');
  expect(far.generalShown).toBe(false);
  expect(far.general).toBe(0);
  expect(await drawn(page, 'addresses-general')).toBe(0);
  const hl = await apiCount(page, `/api/addresses?format=columns&bbox=${bboxOf(far)}&category=key,attention`);
  expect(hl).toBeGreaterThan(100);
  expect(far.highlighted).toBe(hl);
  expect(await drawn(page, 'addresses-highlight')).toBe(hl);
  await expect(page.getByTestId('legend-addresses-count')).toHaveText(`${hl} 个地址`);

  // Zoomed in, general addresses appear, exactly the API's for the view.
  await page.evaluate(() => {
    const map = (window as unknown as Jw).__jw.map;
    map.jumpTo({ center: map.getCenter(), zoom: 16 });
  });
  const near = await settled(page, 'addresses', far.seq);
  expect(near.generalShown).toBe(true);
  const general = await apiCount(page, `/api/addresses?format=columns&bbox=${bboxOf(near)}&category=general`);
  expect(general).toBeGreaterThan(0);
  expect(near.general).toBe(general);
  expect(await drawn(page, 'addresses-general')).toBe(general);

  // The category filter: without key and attention only general ones remain.
  await page.getByTestId('address-cat-key').uncheck();
  await page.getByTestId('address-cat-attention').uncheck();
  const onlyGeneral = await settled(page, 'addresses', near.seq);
  expect(onlyGeneral.highlighted).toBe(0);
  expect(await drawn(page, 'addresses-highlight')).toBe(0);
  expect(onlyGeneral.general).toBe(general);
  await page.screenshot({ path: 'test-results/artifacts/address-layers.png' });

  // Command may see persons of concern: the layer draws what the (audited) API returns.
  await page.evaluate(() => {
    const map = (window as unknown as Jw).__jw.map;
    map.jumpTo({ center: map.getCenter(), zoom: 13 });
  });
  await page.getByTestId('overlay-persons').check();
  const persons = await settled(page, 'persons');
  const expected = await apiCount(page, `/api/persons/map?bbox=${bboxOf(persons)}`);
  expect(expected).toBeGreaterThan(0);
  expect(persons.count).toBe(expected);
  expect(await drawn(page, 'persons')).toBe(expected);
});

test('an analyst gets no persons-of-concern layer (and no case layers at all)', async ({ page }) => {
  test.setTimeout(120_000);
  await loginAs(page, 'yanpan');
  await page.goto('/');
  await waitForGrids(page);
  await expect(page.getByTestId('incident-layers')).toBeVisible();
  await expect(page.getByTestId('overlay-persons')).toHaveCount(0);
  await expect(page.getByTestId('overlay-layers')).toHaveCount(0);
  expect(await drawn(page, 'persons')).toBeNull();
  // The API refuses them too.
  expect((await page.request.get('/api/persons/map?bbox=113,33,114,34')).status()).toBe(403);
});
