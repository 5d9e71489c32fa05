import type { FeatureCollection } from 'geojson';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

test('the console opens on the sub-district with every grid drawn and labelled', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  const grids = (await (await page.request.get('/api/grids')).json()) as FeatureCollection;
  expect(grids.features.length).toBeGreaterThan(10);

  await page.goto('/');
  const drawn = await waitForGrids(page);
  expect(drawn).toBe(grids.features.length);
  await expect(page.getByTestId('count-grids')).toHaveText(String(grids.features.length));
  await expect(page.locator('h1')).toHaveText('警网一张图');

  // Fitted to the sub-district: its bbox is inside the view.
  const [sub] = ((await (await page.request.get('/api/subdistricts')).json()) as FeatureCollection<never, { bbox: number[] }>).features;
  const inView = await page.evaluate((bbox) => {
    const b = (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map.getBounds();
    const eps = 1e-3;
    return b.getWest() <= bbox[0]! + eps && b.getSouth() <= bbox[1]! + eps && b.getEast() >= bbox[2]! - eps && b.getNorth() >= bbox[3]! - eps;
  }, sub!.properties.bbox);
  expect(inView).toBe(true);

  await page.screenshot({ path: 'test-results/artifacts/console-1920x1080.png' });
  expect(guarded.external).toEqual([]);
});
