import type { FeatureCollection } from 'geojson';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

// The command centre's large screen may run the console itself at 4K: the map fills it at full
// resolution, every grid is drawn and the panels stay on screen.
test.use({ viewport: { width: 3840, height: 2160 } });

test('the console at 3840×2160: the map fills the screen, every grid is drawn, panels are inside it', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  const grids = (await (await page.request.get('/api/grids')).json()) as FeatureCollection;
  await page.goto('/');
  expect(await waitForGrids(page)).toBe(grids.features.length);

  const canvas = await page.evaluate(() => {
    const map = (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map;
    const c = map.getCanvas();
    return { css: [c.clientWidth, c.clientHeight], px: [c.width, c.height] };
  });
  expect(canvas.css).toEqual([3840, 2160]);
  expect(canvas.px[0]).toBeGreaterThanOrEqual(3840);
  expect(canvas.px[1]).toBeGreaterThanOrEqual(2160);

  // Toggling a layer works with the mouse at this size, and the panel is fully on screen.
  const toggle = page.getByTestId('layer-grids');
  await expect(toggle).toBeVisible();
  const box = (await toggle.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(3840);
  expect(box.y + box.height).toBeLessThanOrEqual(2160);
  await toggle.uncheck();
  await expect.poll(() => page.evaluate(() => (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map.getLayoutProperty('grid-fill', 'visibility'))).toBe('none');
  await toggle.check();
  await expect.poll(() => page.evaluate(() => (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map.getLayoutProperty('grid-fill', 'visibility'))).toBe('visible');

  await page.screenshot({ path: 'test-results/artifacts/console-3840x2160.png' });
  expect(guarded.external).toEqual([]);
});
