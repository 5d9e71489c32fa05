import { ImportError } from '../errors.ts';
import type { ParsedInput, ReadContext, SourceRecord } from './types.ts';
import { parseXml } from './xml.ts';

type XmlElement = ReturnType<ReturnType<typeof parseXml>['getElementsByTagName']>[number];

function localName(el: { nodeName: string }): string {
  return el.nodeName.replace(/^.*:/, '');
}

/** First descendant with the given local name (GPX 1.1 puts speed in vendor extensions). */
function descendantText(el: XmlElement, name: string): string | undefined {
  const all = el.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    if (localName(c) === name) return c.textContent?.trim() ?? undefined;
  }
  return undefined;
}

/**
 * GPX track, route and waypoint points as GPS fixes, one record per point (togeojson would merge a
 * track into one LineString and lose the per-point records we validate). GPX is WGS84 and UTC.
 */
export function readGpx(text: string, encoding: string, ctx: ReadContext): ParsedInput {
  const doc = parseXml(text, 'GPX');
  const root = doc.documentElement;
  if (!root || localName(root).toLowerCase() !== 'gpx') {
    throw new ImportError('PARSE_ERROR', `XML root element is <${root?.nodeName ?? '?'}>, not <gpx>`);
  }
  const records: SourceRecord[] = [];
  const all = root.getElementsByTagName('*');
  let trackName = '';
  for (let i = 0; i < all.length; i++) {
    const el = all[i]!;
    const name = localName(el);
    if (name === 'trk' || name === 'rte') {
      trackName = '';
      for (let c = el.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 1 && localName(c) === 'name') trackName = c.textContent?.trim() ?? '';
      }
      continue;
    }
    if (name !== 'trkpt' && name !== 'rtept' && name !== 'wpt') continue;
    const speed = descendantText(el, 'speed');
    const props: Record<string, unknown> = {
      lat: el.getAttribute('lat') ?? '',
      lon: el.getAttribute('lon') ?? '',
      time: descendantText(el, 'time') ?? '',
      ele: descendantText(el, 'ele') ?? '',
      // GPX speed is metres per second; the schema stores km/h.
      speed_kmh: speed !== undefined && speed !== '' && Number.isFinite(Number(speed)) ? String(Number(speed) * 3.6) : '',
      track: name === 'wpt' ? '' : trackName,
    };
    records.push({ row: records.length + 1, props });
  }
  void ctx;
  return {
    format: 'gpx',
    encoding,
    declaredCrs: { code: 'EPSG:4326', label: 'EPSG:4326 (GPX)', transform: null },
    records,
    columns: ['lat', 'lon', 'time', 'ele', 'speed_kmh', 'track'],
  };
}
