/** CSV for Excel in China: UTF-8 with a BOM so Chinese text opens correctly, CRLF line ends. */
export function toCsv(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cell = (v: string | number | boolean | null | undefined): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    // Leading = + - @ would be run as formulas by spreadsheet programs.
    const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return '\uFEFF' + [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Hands a text file to the browser's download (no server round trip, nothing leaves the machine). */
export function download(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** GeoJSON text of features (RFC 7946: WGS84 lon/lat), for GIS tools. */
export function toGeoJson(features: { geometry: unknown; properties: Record<string, unknown> }[]): string {
  return JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: f.properties })) });
}

export const GEOJSON_TYPE = 'application/geo+json;charset=utf-8';

const stampFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** A download's file name: the Chinese title and the local (Asia/Shanghai) date and time, e.g. 事件列表-20261129-1605.csv. */
export function exportName(title: string, ext: 'csv' | 'geojson', now = new Date()): string {
  const p = Object.fromEntries(stampFormat.formatToParts(now).map((x) => [x.type, x.value]));
  return `${title}-${p.year}${p.month}${p.day}-${p.hour}${p.minute}.${ext}`;
}
