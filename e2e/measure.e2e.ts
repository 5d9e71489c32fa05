import { expect, loginAs, test, waitForGrids } from './fixtures.ts';
import { area, length, lineString, polygon } from '@turf/turf';

type Jw = { __jw: { map: import('maplibre-gl').Map } };

test('measure: clicked points give the turf distance and area of the clicked positions, without selecting grids', async ({ page }) => {
  await loginAs(page, 'yanpan');
  await page.goto('/');
  await waitForGrids(page);
  const box = (await page.getByTestId('map').boundingBox())!;
  const pixels: [number, number][] = [[760, 300], [1160, 300], [1160, 620]];
  const lngLat = () => page.evaluate((px) => px.map(([x, y]) => {
    const p = (window as unknown as Jw).__jw.map.unproject([x, y]);
    return [p.lng, p.lat] as [number, number];
  }), pixels);
  const at = await lngLat();

  await page.getByTestId('tool-distance').click();
  for (const [x, y] of pixels.slice(0, 2)) await page.mouse.click(box.x + x, box.y + y);
  const m = Math.round(length(lineString(at.slice(0, 2)), { units: 'kilometers' }) * 1000);
  const km = m / 1000;
  await expect(page.getByTestId('measure-result')).toHaveText(km < 1 ? `距离 ${m} 米` : `距离 ${km.toFixed(2)} 千米`);

  await page.getByTestId('tool-area').click();
  for (const [x, y] of pixels) await page.mouse.click(box.x + x, box.y + y);
  const m2 = area(polygon([[...at, at[0]!]]));
  await expect(page.getByTestId('measure-result')).toHaveText(m2 < 1e6 ? `面积 ${Math.round(m2).toLocaleString('zh-CN')} 平方米` : `面积 ${(m2 / 1e6).toFixed(3)} 平方千米`);
  // Clicks while measuring do not open the grid under them.
  await expect(page.getByTestId('grid-card')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/artifacts/measure.png' });
});
