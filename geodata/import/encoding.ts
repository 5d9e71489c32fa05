import iconv from 'iconv-lite';
import { fileError } from './errors.ts';

export interface DecodedText {
  text: string;
  /** For the report, e.g. "utf-8 (BOM)" or "gb18030 (detected: not valid UTF-8)". */
  label: string;
  /** True when the encoding was guessed rather than declared by a BOM, .cpg or option. */
  detected: boolean;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Normalises an encoding name from an option or a .cpg file; throws on one iconv-lite lacks. */
export function checkEncoding(name: string): string {
  const n = name.trim().toLowerCase().replace(/^cp(936)$/, 'gbk').replace(/^(ansi_)?936$/, 'gbk');
  if (!iconv.encodingExists(n)) throw fileError('BAD_OPTION', `unknown text encoding "${name}"`);
  return n;
}

/**
 * Decodes a text file. Excel in China writes CSV in GBK (code page 936) with no marker; UTF-8 with
 * or without BOM is the other common case. A file that is not valid UTF-8 is decoded as GB18030, a
 * superset of GBK and GB2312, so it can never lose characters a GBK reader would have kept.
 */
export function decodeText(bytes: Uint8Array, forced?: string): DecodedText {
  if (forced) {
    const enc = checkEncoding(forced);
    return { text: stripBom(iconv.decode(bytes, enc)), label: `${enc} (option)`, detected: false };
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), label: 'utf-8 (BOM)', detected: false };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: iconv.decode(bytes.subarray(2), 'utf-16le'), label: 'utf-16le (BOM)', detected: false };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: iconv.decode(bytes.subarray(2), 'utf-16be'), label: 'utf-16be (BOM)', detected: false };
  }
  if (isValidUtf8(bytes)) return { text: utf8Strict.decode(bytes), label: 'utf-8', detected: true };
  return { text: iconv.decode(bytes, 'gb18030'), label: 'gb18030 (detected: not valid UTF-8)', detected: true };
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * True for content that is plainly not text: NUL bytes or many control characters in the first
 * few kilobytes. UTF-16 files are excused by their BOM.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return false;
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return n > 0 && control / n > 0.05;
}
