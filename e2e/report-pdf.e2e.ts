import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, loginAs, test } from './fixtures.ts';

test('the daily report prints to an A4 PDF whose text names the sub-district', async ({ page, guarded }) => {
  await loginAs(page, 'zhihui');
  await page.goto('/reports/daily');
  const report = page.getByTestId('report');
  await expect(report.locator('h1')).toContainText('院岭街道');
  await expect(report.locator('h1')).toContainText('日见面');
  await expect(report.locator('h2').first()).toBeVisible();

  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  mkdirSync('test-results/artifacts', { recursive: true });
  const file = 'test-results/artifacts/report-daily.pdf';
  writeFileSync(file, pdf);
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
  expect(pages.length).toBeGreaterThanOrEqual(1);
  // Text is extractable (the CJK font is embedded with a ToUnicode map): poppler's pdftotext reads it.
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  expect(text).toContain('院岭街道');
  expect(text).toContain('日见面');
  expect(guarded.errors).toEqual([]);
});
