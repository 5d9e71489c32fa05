import { readFile } from 'node:fs/promises';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

test('export: the current map downloads as a PNG of the canvas size, with the deck.gl layers drawn in it', async ({ page }) => {
  await loginAs(page, 'yanpan');
  await page.goto('/?layers=hex:1');
  await waitForGrids(page);
  await page.waitForFunction(() => {
    const m = (window as unknown as { __jw: { analysis: () => { meta: Record<string, { loading: boolean; count: number } | undefined> } } }).__jw.analysis().meta.hex;
    return !!m && !m.loading && m.count > 0;
  }, undefined, { timeout: 30_000 });
  const download = page.waitForEvent('download');
  await page.getByTestId('export-png').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^警网一张图-\d{8}-\d{4}\.png$/);
  const png = await readFile((await file.path())!);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const size = await page.evaluate(() => {
    const c = (window as unknown as { __jw: { map: import('maplibre-gl').Map } }).__jw.map.getCanvas();
    return [c.width, c.height];
  });
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual(size);
  // Not a blank canvas: a dark basemap with hexagons compresses to far more than an empty image.
  expect(png.length).toBeGreaterThan(50_000);
});
