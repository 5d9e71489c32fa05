import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { columnName, localTimeText, sheetNames, xlsxWorkbook } from './xlsx.ts';

describe('xlsx writer', () => {
  it('names columns and sheets the way spreadsheet programs require', () => {
    expect([0, 25, 26, 51, 52, 701, 702].map(columnName)).toEqual(['A', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA']);
    expect(sheetNames(['热点区域（Gi*，近4周）', 'a/b:c', '', 'X'.repeat(40), 'X'.repeat(40), 'abc', 'ABC'])).toEqual([
      '热点区域（Gi ，近4周）', 'a b c', 'Sheet3', 'X'.repeat(31), `${'X'.repeat(29)}~2`, 'abc', 'ABC~2',
    ]);
  });

  it('writes times as local text, escapes text and leaves empty cells out', () => {
    expect(localTimeText(new Date('2025-03-01T16:30:05Z'), 'Asia/Shanghai')).toBe('2025-03-02 00:30:05');
    const files = unzipSync(xlsxWorkbook([{ name: 'T', columns: [{ key: 'a', label: '甲' }, { key: 'b', label: '乙' }], rows: [{ a: '=1+1 <x> & "y"', b: 2.5 }, { a: null, b: true }] }]));
    expect(Object.keys(files).sort()).toEqual(['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml']);
    const sheet = strFromU8(files['xl/worksheets/sheet1.xml']!);
    expect(sheet).toContain('<c r="A2" t="inlineStr"><is><t xml:space="preserve">=1+1 &lt;x&gt; &amp; &quot;y&quot;</t></is></c><c r="B2"><v>2.5</v></c>');
    expect(sheet).toContain('<row r="3"><c r="B3" t="inlineStr"><is><t xml:space="preserve">是</t></is></c></row>');
  });
});
