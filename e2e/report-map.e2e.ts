import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, loginAs, test } from './fixtures.ts';

test('the weekly report draws its hot-spot map offline and prints it into the A4 PDF as an image', async ({ page, guarded }) => {
  test.setTimeout(120_000);
  await loginAs(page, 'zhihui');
  await page.goto('/reports/weekly');
  const report = page.getByTestId('report');
  await expect(report.locator('h1')).toContainText('院岭街道');
  await expect(report.locator('h1')).toContainText('周研判');

  // The map becomes an image once MapLibre is idle; only then may the page be printed.
  await expect(report).toHaveAttribute('data-map-ready', 'true', { timeout: 60_000 });
  const img = page.getByTestId('report-map').locator('img');
  await expect(img).toBeVisible();
  await expect(page.getByTestId('report-print')).toBeEnabled();
  const weekly = (await (await page.request.get('/api/reports/weekly')).json()) as { tables: { hotspots: unknown[] } };
  // Not a blank canvas: outlines and (when the report has any) hot cells are drawn in colour.
  const inked = await img.evaluate(async (el: HTMLImageElement) => {
    await el.decode();
    const c = document.createElement('canvas');
    c.width = el.naturalWidth;
    c.height = el.naturalHeight;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(el, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let lines = 0;
    let red = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i]! < 200 || px[i + 1]! < 200 || px[i + 2]! < 200) lines++;
      if (px[i]! > 180 && px[i + 1]! < 120 && px[i + 2]! < 120) red++;
    }
    return { lines, red };
  });
  expect(inked.lines).toBeGreaterThan(1000);
  if (weekly.tables.hotspots.length) expect(inked.red).toBeGreaterThan(50);

  // The page's Excel link gives the whole report as a workbook (a zip).
  const href = await page.getByTestId('report-xlsx').getAttribute('href');
  expect(href).toContain('format=xlsx');
  const xlsx = await page.request.get(href!);
  expect(xlsx.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  expect([...(await xlsx.body()).subarray(0, 2)]).toEqual([0x50, 0x4b]);

  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  mkdirSync('test-results/artifacts', { recursive: true });
  const file = 'test-results/artifacts/report-weekly.pdf';
  writeFileSync(file, pdf);
  // pdfimages -list: two header lines, then one line per image.
  const images = execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' }).trim().split('\n').slice(2);
  expect(images.length).toBeGreaterThanOrEqual(1);
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  expect(text).toContain('院岭街道');
  expect(text).toContain('周研判');
  expect(text).toContain('热点与新兴热点分布图');
  expect(guarded.errors).toEqual([]);
});
