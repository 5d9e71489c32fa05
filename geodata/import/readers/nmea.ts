import type { ParsedInput, ReadContext, SourceRecord } from './types.ts';

/**
 * NMEA 0183 logs: RMC (date, time, position, speed) and GGA (time, position, fix quality) from
 * any talker (GP GPS, GN multi-constellation, BD/GB BeiDou, GL, GA). Records are numbered by line,
 * since a line is what a user can find in the log. NMEA times are UTC.
 */

function checksumOk(sentence: string): boolean | null {
  const star = sentence.lastIndexOf('*');
  if (star < 0) return null;
  const given = sentence.slice(star + 1, star + 3);
  if (!/^[0-9A-Fa-f]{2}$/.test(given)) return false;
  let x = 0;
  for (let i = 1; i < star; i++) x ^= sentence.charCodeAt(i);
  return x === parseInt(given, 16);
}

function coord(value: string, hemi: string, degDigits: number): number | null {
  if (!/^\d+(\.\d+)?$/.test(value)) return null;
  const deg = Number(value.slice(0, degDigits));
  const min = Number(value.slice(degDigits));
  if (!(min < 60)) return null;
  const v = deg + min / 60;
  if (hemi === 'S' || hemi === 'W') return -v;
  if (hemi === 'N' || hemi === 'E') return v;
  return null;
}

function hms(t: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{2})(\.\d+)?$/.exec(t);
  if (!m) return null;
  return `${m[1]}:${m[2]}:${m[3]}${m[4] ?? ''}`;
}

function dmy(d: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(d);
  if (!m) return null;
  const yy = Number(m[3]);
  // Two-digit years: receivers logging today are after 1980, the GPS epoch.
  const year = yy >= 80 ? 1900 + yy : 2000 + yy;
  return `${year}-${m[2]}-${m[1]}`;
}

export function readNmea(text: string, encoding: string, ctx: ReadContext): ParsedInput {
  const lines = text.split(/\r?\n/);
  const records: SourceRecord[] = [];
  // GGA carries no date: use the latest RMC date, or the first one in the file for leading GGAs.
  let date: string | null = null;
  for (const l of lines) {
    const m = /\$[A-Z]{2}RMC,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,(\d{6})/.exec(l);
    if (m) {
      date = dmy(m[1]!);
      break;
    }
  }
  let lastTime = '';
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (!trimmed) return;
    const at = trimmed.indexOf('$');
    if (at < 0) {
      ctx.log.error({ row: line, field: null, code: 'PARSE_ERROR', message: `line ${line} is not an NMEA sentence` });
      return;
    }
    const sentence = trimmed.slice(at);
    const ok = checksumOk(sentence);
    if (ok === false) {
      ctx.log.error({ row: line, field: null, code: 'BAD_CHECKSUM', message: `line ${line}: NMEA checksum does not match (corrupted sentence)` });
      return;
    }
    const body = sentence.replace(/\*.*$/, '');
    const f = body.split(',');
    const type = f[0]!.slice(3);
    let time: string | null = null;
    let lat: number | null = null;
    let lon: number | null = null;
    let speed = '';
    if (type === 'RMC') {
      if (f[2] === 'V') return; // receiver says the fix is void
      const d = dmy(f[9] ?? '');
      if (d) date = d;
      const t = hms(f[1] ?? '');
      time = t && d ? `${d}T${t}Z` : null;
      lat = coord(f[3] ?? '', f[4] ?? '', 2);
      lon = coord(f[5] ?? '', f[6] ?? '', 3);
      const knots = Number(f[7]);
      if (f[7] && Number.isFinite(knots)) speed = String(knots * 1.852);
    } else if (type === 'GGA') {
      if (f[6] === '0' || f[6] === '') return; // no fix
      const t = hms(f[1] ?? '');
      time = t && date ? `${date}T${t}Z` : null;
      lat = coord(f[2] ?? '', f[3] ?? '', 2);
      lon = coord(f[4] ?? '', f[5] ?? '', 3);
    } else {
      return; // satellites, DOP and other sentences carry no position of their own
    }
    if (time === null) {
      ctx.log.error({ row: line, field: 'fixed_at', code: 'BAD_TIME', message: `line ${line}: ${type} sentence has no usable date/time` });
      return;
    }
    if (lat === null || lon === null) {
      ctx.log.error({ row: line, field: 'lat', code: 'BAD_COORDINATE', message: `line ${line}: ${type} sentence has an unreadable position` });
      return;
    }
    // RMC and GGA of the same second describe one fix: one record, with the RMC's speed.
    if (time === lastTime) {
      const prev = records[records.length - 1]!;
      if (type === 'RMC') prev.props.speed_kmh = speed;
      return;
    }
    lastTime = time;
    records.push({ row: line, line, props: { time, lat: String(lat), lon: String(lon), speed_kmh: speed } });
  });
  return {
    format: 'nmea',
    encoding,
    declaredCrs: { code: 'EPSG:4326', label: 'EPSG:4326 (NMEA)', transform: null },
    records,
    columns: ['time', 'lat', 'lon', 'speed_kmh'],
  };
}
