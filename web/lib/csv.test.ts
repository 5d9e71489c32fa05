import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.ts';

describe('toCsv', () => {
  it('starts with a BOM, quotes what needs it, defuses formulas and ends lines with CRLF', () => {
    const text = toCsv(['编号', '标题'], [['EV1', '邻里"噪音",纠纷'], ['EV2', '=1+1'], ['EV3', null]]);
    expect(text).toBe('\uFEFF编号,标题\r\nEV1,"邻里""噪音"",纠纷"\r\nEV2,\'=1+1\r\nEV3,\r\n');
  });
});
