import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Jw = { __jw: { map: import('maplibre-gl').Map } };

test('toggling a layer hides it, and layers survive a base map switch', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  const before = await waitForGrids(page);

  await page.getByTestId('layer-grids').uncheck();
  await expect.poll(() => page.evaluate(() => (window as unknown as Jw).__jw.map.getLayoutProperty('grid-fill', 'visibility'))).toBe('none');
  await page.getByTestId('layer-grids').check();

  await page.getByTestId('basemap-light').click();
  await expect.poll(() => page.evaluate(() => {
    const map = (window as unknown as Jw).__jw.map;
    const background = map.getStyle().layers.find((l) => l.type === 'background');
    return background?.type === 'background' ? background.paint?.['background-color'] : undefined;
  })).toBe('#eef1f5');
  const after = await waitForGrids(page);
  expect(after).toBe(before);
  expect(guarded.errors).toEqual([]);
});

test('clicking a grid opens its card', async ({ page }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/');
  await waitForGrids(page);
  const target = await page.evaluate(() => {
    const map = (window as unknown as Jw).__jw.map;
    // A grid whose label point is clear of the side panels and the header.
    for (const f of map.queryRenderedFeatures({ layers: ['grid-fill'] })) {
      const label = JSON.parse(String(f.properties.label_point)) as [number, number];
      const p = map.project(label);
      if (p.x > 400 && p.x < 1500 && p.y > 150 && p.y < 950) return { x: p.x, y: p.y, name: String(f.properties.name) };
    }
    throw new Error('no grid label point in the clear part of the view');
  });
  await page.mouse.click(target.x, target.y);
  await expect(page.getByTestId('grid-card')).toContainText(target.name);
});
