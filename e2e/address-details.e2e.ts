import type { Page } from '@playwright/test';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Meta = { loading: boolean; error: string | null; count: number; seq: number; bbox: number[] };
type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => unknown;
    overlays: () => { meta: Record<string, Meta | undefined> };
    pick: (x: number, y: number) => { layer: string; index: number } | null;
  };
};
interface AddressColumns { id: number[]; address_text: string[]; category: string[]; lon: number[]; lat: number[] }
interface AddressDetail {
  id: number; code: string; address_text: string; category: string; grid_name: string | null; community_name: string | null;
  registered: boolean; missing: string[]; residents: number; units: number; vacant: boolean;
}
interface Subject { subject: string; subject_id: number; code: string; status: string; cycle_days: number; last_standard_day: string | null; last_visit_day: string | null }
interface PersonPoint { id: number; code: string; name: string; category: string; control_level: number; address_id: number; lon: number; lat: number }

const CATEGORY: Record<string, string> = { general: '一般类', key: '重点类', attention: '关注类' };
const MISSING: Record<string, string> = { no_grid: '无所属网格', outside_grid: '点位不在网格内', no_housing: '房屋未登记', no_occupants: '无人员/单位' };
const STATUS: Record<string, string> = { never: '从未走访', overdue: '已逾期', due_soon: '即将到期', up_to_date: '按期' };
const LEVEL: Record<number, string> = { 1: '一级管控', 2: '二级管控', 3: '三级管控' };

async function settled(page: Page, id: string, deckId: string): Promise<Meta> {
  await page.waitForFunction(([id, deckId]) => {
    const jw = (window as unknown as Jw).__jw;
    const m = jw.overlays().meta[id!];
    return !!m && !m.loading && !m.error && !!jw.deck(deckId!) && jw.map.loaded() && !jw.map.isMoving();
  }, [id, deckId], { timeout: 60_000 });
  return page.evaluate((id) => (window as unknown as Jw).__jw.overlays().meta[id]!, id);
}

async function getJson<T>(page: Page, path: string): Promise<T> {
  const res = await page.request.get(path);
  expect(res.status(), path).toBe(200);
  return (await res.json()) as T;
}

/**
 * A pixel, clear of the side panels, where deck.gl picks exactly row `i` of `layer` (not a
 * neighbour drawn over it, not another layer): clicking there must open that row.
 */
async function clickable(page: Page, layer: string, lon: number[], lat: number[]): Promise<{ x: number; y: number; i: number }> {
  const found = await page.evaluate(([layer, lon, lat]) => {
    const jw = (window as unknown as Jw).__jw;
    for (let i = 0; i < lon.length; i++) {
      const p = jw.map.project([lon[i]!, lat[i]!]);
      if (p.x < 320 || p.x > 1450 || p.y < 160 || p.y > 820) continue;
      const hit = jw.pick(p.x, p.y);
      if (hit?.layer === layer && hit.index === i) return { x: p.x, y: p.y, i };
    }
    return null;
  }, [layer, lon, lat] as const);
  expect(found, `a clickable point of ${layer}`).not.toBeNull();
  return found!;
}

test('clicking an address on the map opens its details: registration (一标三实) and visit status, as the API gives them', async ({ page, guarded }) => {
  test.setTimeout(180_000);
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);

  await page.getByTestId('overlay-addresses').check();
  const meta = await settled(page, 'addresses', 'addresses-highlight');
  const bbox = meta.bbox.map((x) => x.toFixed(5)).join(',');
  // The same query the layer made, so the rows are in the layer's order.
  const { columns: c } = await getJson<{ columns: AddressColumns }>(page, `/api/addresses?format=columns&bbox=${bbox}&category=key,attention`);
  const { x, y, i } = await clickable(page, 'addresses-highlight', c.lon, c.lat);
  const id = c.id[i]!;

  await page.mouse.click(x, y);
  const panel = page.getByTestId('address-detail');
  await expect(panel.getByTestId('address-detail-loaded')).toHaveAttribute('data-id', String(id));

  const a = await getJson<AddressDetail>(page, `/api/addresses/${id}`);
  expect([a.address_text, a.category]).toEqual([c.address_text[i], c.category[i]]);
  await expect(panel.getByTestId('address-text')).toHaveText(a.address_text);
  await expect(panel.getByTestId('address-code')).toHaveText(a.code);
  await expect(panel.getByTestId('address-category')).toHaveText(CATEGORY[a.category]!);
  await expect(panel.getByTestId('address-grid')).toHaveText(`${a.community_name ?? ''} ${a.grid_name ?? ''}`.trim());
  const registration = `${a.registered ? '已登记' : '未登记'}${a.missing.length ? `（${a.missing.map((m) => MISSING[m]).join('、')}）` : ''}`;
  await expect(panel.getByTestId('address-registration')).toHaveText(registration);
  await expect(panel.getByTestId('address-occupants')).toHaveText(`${a.residents} 人 / ${a.units} 个单位${a.vacant ? ' · 空置' : ''}`);

  const status = await getJson<{ subjects: Subject[] }>(page, `/api/stats/addresses/${id}/visit-status`);
  const own = status.subjects.find((s) => s.subject === 'address')!;
  expect(own).toBeDefined();
  await expect(panel.getByTestId('address-visit-status')).toHaveText(`${STATUS[own.status]} · 走访周期 ${own.cycle_days} 天`);
  await expect(panel.getByTestId('address-last-standard')).toHaveText(own.last_standard_day ?? '无');
  await expect(panel.getByTestId('address-last-visit')).toHaveText(own.last_visit_day ?? '无');
  const persons = status.subjects.filter((s) => s.subject === 'person');
  if (persons.length) await expect(panel.getByTestId('address-persons').locator('li')).toHaveCount(persons.length);
  await page.screenshot({ path: 'test-results/artifacts/address-details.png' });

  // The click went to the address, not to the grid beneath it.
  await panel.getByRole('button', { name: '关闭' }).click();
  await expect(panel).toHaveCount(0);
  await expect(page.getByTestId('grid-card')).toHaveCount(0);
  expect(guarded.errors).toEqual([]);
});

test('clicking a person of concern shows only the masked row of the map API, and never asks for the identity', async ({ page, guarded }) => {
  test.setTimeout(180_000);
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  const identityReads: string[] = [];
  page.on('request', (r) => {
    if (/^\/api\/persons\/\d+/.test(new URL(r.url()).pathname)) identityReads.push(r.url());
  });

  await page.getByTestId('overlay-persons').check();
  const meta = await settled(page, 'persons', 'persons');
  const bbox = meta.bbox.map((x) => x.toFixed(5)).join(',');
  const { persons } = await getJson<{ persons: PersonPoint[] }>(page, `/api/persons/map?bbox=${bbox}`);
  expect(persons.length).toBeGreaterThan(0);
  const { x, y, i } = await clickable(page, 'persons', persons.map((p) => p.lon), persons.map((p) => p.lat));
  const person = persons[i]!;

  await page.mouse.click(x, y);
  const panel = page.getByTestId('person-detail');
  await expect(panel.getByTestId('person-code')).toHaveText(person.code);
  await expect(panel.getByTestId('person-name')).toHaveText(person.name);
  expect(person.name).toContain('*');
  await expect(panel.getByTestId('person-level')).toHaveText(LEVEL[person.control_level]!);
  await expect(panel).toContainText('已脱敏');
  await page.screenshot({ path: 'test-results/artifacts/person-details.png' });

  // Its address opens from the card.
  await panel.getByTestId('person-address').click();
  await expect(page.getByTestId('address-detail-loaded')).toHaveAttribute('data-id', String(person.address_id));
  expect(identityReads).toEqual([]);
  expect(guarded.errors).toEqual([]);
});
