import type { Page } from '@playwright/test';
import { expect, loginAs, test, waitForGrids } from './fixtures.ts';

type Jw = {
  __jw: {
    map: import('maplibre-gl').Map;
    deck: (id: string) => { props: { data: { cell: string; n: number }[]; visible: boolean } } | undefined;
    analysis: () => { view: { range: { from: string; to: string } }; meta: Record<string, { loading: boolean; error: string | null; count: number; res: number; seq: number; window: string } | undefined> };
  };
};

/** The hex layer once it has settled: what deck.gl draws, what it loaded, and the map's viewport. */
async function settledHex(page: Page, after = 0) {
  await page.waitForFunction((after) => {
    const jw = (window as unknown as Jw).__jw;
    const m = jw.analysis().meta.hex;
    return !!m && !m.loading && m.seq > after && !m.error && jw.map.loaded() && !jw.map.isMoving();
  }, after, { timeout: 30_000 });
  return page.evaluate(() => {
    const jw = (window as unknown as Jw).__jw;
    const b = jw.map.getBounds();
    const { meta, view } = jw.analysis();
    return {
      cells: jw.deck('incident-hex')?.props.data.map((d) => `${d.cell}:${d.n}`) ?? [],
      meta: meta.hex!,
      range: view.range,
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(','),
    };
  });
}

async function apiCells(page: Page, s: { bbox: string; meta: { res: number }; range: { from: string; to: string } }) {
  const res = await page.request.get(`/api/heat/h3?bbox=${s.bbox}&res=${s.meta.res}&from=${s.range.from}&to=${s.range.to}`);
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { cells: { cell: string; n: number }[] };
  return body.cells.map((c) => `${c.cell}:${c.n}`);
}

test('hex layer: deck.gl draws exactly the cells the API returns for the viewport, and a brushed time range reloads it', async ({ page }) => {
  await loginAs(page, 'yanpan');
  await page.goto('/');
  await waitForGrids(page);

  await page.getByTestId('incident-hex').check();
  const first = await settledHex(page);
  const expected = await apiCells(page, first);
  expect(expected.length).toBeGreaterThan(5);
  expect(first.cells).toEqual(expected);
  expect(first.meta.count).toBe(expected.length);
  await expect(page.getByTestId('legend-hex-count')).toContainText(`${expected.length} 单元`);

  // Brush about a fifth of the histogram: the window changes and the layer reloads with it.
  const hist = page.getByTestId('timebar-hist');
  const box = (await hist.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.55, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.65, box.y + 25, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.75, box.y + 30, { steps: 4 });
  await page.mouse.up();
  const second = await settledHex(page, first.meta.seq);
  expect(second.range).not.toEqual(first.range);
  await expect(page.getByTestId('timebar-range')).toHaveText(`${second.range.from} 至 ${second.range.to}`);
  expect(second.meta.window).toBe(`${second.range.from}..${second.range.to}`);
  const expected2 = await apiCells(page, second);
  expect(second.cells).toEqual(expected2);
  expect(expected2).not.toEqual(expected);
  // The URL is rewritten once the view settles (debounced): wait for it rather than read it once.
  await expect.poll(() => page.url()).toContain(`from=${second.range.from}&to=${second.range.to}`);
  await page.screenshot({ path: 'test-results/artifacts/heat-layers.png' });
});
