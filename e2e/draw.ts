import type { Page } from '@playwright/test';

type Jw = { __jw: { map: import('maplibre-gl').Map } };

/** Draws a polygon with the 框选统计 tool: a click per vertex, a double-click on the last one closes it. */
export async function drawPolygon(page: Page, pixels: [number, number][]): Promise<[number, number][]> {
  const box = (await page.getByTestId('map').boundingBox())!;
  for (const [x, y] of pixels.slice(0, -1)) await page.mouse.click(box.x + x, box.y + y);
  const [lx, ly] = pixels[pixels.length - 1]!;
  await page.mouse.dblclick(box.x + lx, box.y + ly);
  return page.evaluate((px) => px.map(([x, y]) => {
    const p = (window as unknown as Jw).__jw.map.unproject([x, y]);
    return [p.lng, p.lat] as [number, number];
  }), pixels);
}

/** A quadrilateral around the middle of the map (the demo sub-district fills the view). */
export const QUAD: [number, number][] = [[700, 330], [1150, 300], [1200, 640], [760, 700]];
