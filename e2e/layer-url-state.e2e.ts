import type { Page } from '@playwright/test';
import { expect, guardPage, loginAs, test, waitForGrids } from './fixtures.ts';

type Meta = { loading: boolean; error: string | null; count: number; seq: number; highlighted: number; general: number; generalShown: boolean };
type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => { props: { visible?: boolean; opacity: number; data: { length: number } } } | undefined;
    overlays: () => { layers: Record<string, { on: boolean; opacity: number }>; meta: Record<string, Meta | undefined> };
  };
};

const MAP_LAYERS: Record<string, string[]> = {
  subdistrict: ['subdistrict-line'],
  communities: ['community-fill', 'community-line'],
  grids: ['grid-fill', 'grid-line'],
  jointPoints: ['joint-point-circle'],
  keyLocations: ['key-location-circle'],
};

/** What the map itself shows: MapLibre layout visibility, deck.gl layers and their opacity. */
function mapState(page: Page) {
  return page.evaluate((mapLayers) => {
    const jw = (window as unknown as Jw).__jw;
    const visibility = Object.fromEntries(Object.entries(mapLayers).map(([k, ids]) => [k, ids.map((id) => jw.map.getLayoutProperty(id, 'visibility') ?? 'visible')]));
    const deck = (id: string) => {
      const l = jw.deck(id);
      return l ? { visible: l.props.visible ?? true, opacity: l.props.opacity, n: l.props.data.length } : null;
    };
    return {
      visibility,
      communityLabels: deck('community-labels')?.visible ?? null,
      gridLabels: deck('grid-labels')?.visible ?? null,
      addresses: deck('addresses-highlight'),
      general: deck('addresses-general'),
      layers: jw.overlays().layers,
    };
  }, MAP_LAYERS);
}

/** Resolves when the address layer has loaded without error and the map stands still. */
async function addressesSettled(page: Page): Promise<Meta> {
  await page.waitForFunction(() => {
    const jw = (window as unknown as Jw).__jw;
    const m = jw.overlays().meta.addresses;
    return !!m && !m.loading && !m.error && !!jw.deck('addresses-highlight') && jw.map.loaded() && !jw.map.isMoving();
  }, undefined, { timeout: 60_000 });
  return page.evaluate(() => (window as unknown as Jw).__jw.overlays().meta.addresses!);
}

test('layer toggles, opacities and address categories round-trip through the URL, without adding history entries', async ({ page, guarded, context, baseURL }) => {
  test.setTimeout(180_000);
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  const history = await page.evaluate(() => window.history.length);

  await page.getByTestId('layer-communities').uncheck();
  await page.getByTestId('layer-jointPoints').uncheck();
  await page.getByTestId('overlay-addresses').check();
  await page.getByTestId('overlay-addresses-opacity').fill('0.5');
  await page.getByTestId('address-cat-general').uncheck();
  await addressesSettled(page);

  // The URL follows after a short debounce.
  await expect.poll(() => {
    const q = new URL(page.url()).searchParams;
    return { off: q.get('off'), ov: q.get('ov'), acat: q.get('acat') };
  }).toEqual({ off: 'communities,jointPoints', ov: 'addresses:0.5', acat: 'key,attention' });
  const url = page.url();
  // replaceState: toggling layers leaves the back button alone.
  expect(await page.evaluate(() => window.history.length)).toBe(history);

  const before = await mapState(page);
  expect(before.visibility.communities).toEqual(['none', 'none']);
  expect(before.visibility.jointPoints).toEqual(['none']);
  expect(before.communityLabels).toBe(false);
  expect(before.addresses?.opacity).toBe(0.5);

  // A fresh page of the same session opens the URL: the same layers, on the map and in the panel.
  const fresh = await context.newPage();
  const freshGuard = await guardPage(fresh, new URL(baseURL!).origin);
  await fresh.goto(url);
  await waitForGrids(fresh);
  const meta = await addressesSettled(fresh);
  expect(meta.generalShown).toBe(false);
  expect(meta.general).toBe(0);

  for (const key of ['communities', 'jointPoints']) await expect(fresh.getByTestId(`layer-${key}`)).not.toBeChecked();
  for (const key of ['subdistrict', 'grids', 'gridLabels', 'keyLocations']) await expect(fresh.getByTestId(`layer-${key}`)).toBeChecked();
  await expect(fresh.getByTestId('overlay-addresses')).toBeChecked();
  await expect(fresh.getByTestId('overlay-addresses-opacity')).toHaveValue('0.5');
  await expect(fresh.getByTestId('address-cat-key')).toBeChecked();
  await expect(fresh.getByTestId('address-cat-attention')).toBeChecked();
  await expect(fresh.getByTestId('address-cat-general')).not.toBeChecked();
  for (const id of ['tracks', 'visits', 'persons']) await expect(fresh.getByTestId(`overlay-${id}`)).not.toBeChecked();

  const after = await mapState(fresh);
  expect(after.visibility).toEqual({
    subdistrict: ['visible'], communities: ['none', 'none'], grids: ['visible', 'visible'], jointPoints: ['none'], keyLocations: ['visible'],
  });
  expect(after.communityLabels).toBe(false);
  expect(after.gridLabels).toBe(true);
  expect(after.addresses).toMatchObject({ visible: true, opacity: 0.5 });
  expect(after.addresses!.n).toBe(meta.highlighted);
  expect(after.addresses!.n).toBeGreaterThan(0);
  expect(after.layers).toEqual(before.layers);
  await fresh.screenshot({ path: 'test-results/artifacts/layer-url-state.png' });
  // Restoring writes nothing new: the URL is already canonical.
  expect(fresh.url()).toBe(url);

  // Switching a layer back on takes it out of the URL, again without a history entry.
  const freshHistory = await fresh.evaluate(() => window.history.length);
  await fresh.getByTestId('layer-communities').check();
  await expect.poll(() => new URL(fresh.url()).searchParams.get('off')).toBe('jointPoints');
  await expect.poll(() => fresh.evaluate(() => (window as unknown as Jw).__jw.map.getLayoutProperty('community-fill', 'visibility'))).toBe('visible');
  expect(await fresh.evaluate(() => window.history.length)).toBe(freshHistory);

  expect(freshGuard.external, 'requests that left the origin').toEqual([]);
  expect(freshGuard.errors, 'page errors').toEqual([]);
  expect(guarded.errors).toEqual([]);
  await fresh.close();
});
