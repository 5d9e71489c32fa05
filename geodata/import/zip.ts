import { crc32, inflateRawSync } from 'node:zlib';
import { isValidUtf8 } from './encoding.ts';
import { ImportError } from './errors.ts';
import iconv from 'iconv-lite';

/**
 * A minimal, defensive zip reader. It reads the central directory itself so that entry count and
 * declared sizes are checked before a single byte is inflated, and inflates each entry with an
 * output cap equal to its declared size, so an entry that lies about its size (the classic zip
 * bomb) is stopped at the declared size instead of filling memory.
 */

export interface ZipLimits {
  maxEntries: number;
  maxUncompressedBytes: number;
}

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function invalid(message: string): ImportError {
  return new ImportError('ZIP_INVALID', `zip: ${message}`);
}

export function isZip(bytes: Uint8Array): boolean {
  return (bytes.length >= 4 && u32(bytes, 0) === LOC_SIG) || (bytes.length >= 22 && u32(bytes, 0) === EOCD_SIG);
}

export class ZipArchive {
  readonly entries: ZipEntry[];
  private inflated = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: ZipLimits,
  ) {
    this.entries = this.readDirectory();
  }

  private readDirectory(): ZipEntry[] {
    const b = this.bytes;
    // The end record sits in the last 22 bytes plus a comment of at most 65,535 bytes.
    let eocd = -1;
    for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
      if (u32(b, i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw invalid('no end-of-central-directory record (truncated or not a zip)');
    const total = u16(b, eocd + 10);
    const cdSize = u32(b, eocd + 12);
    const cdOffset = u32(b, eocd + 16);
    if (total === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
      throw new ImportError('ZIP_UNSUPPORTED', 'zip: ZIP64 archives are not accepted (too large for an upload)');
    }
    if (total > this.limits.maxEntries) {
      throw new ImportError('ZIP_TOO_MANY_ENTRIES', `zip has ${total} entries, more than the limit of ${this.limits.maxEntries}`);
    }
    if (cdOffset + cdSize > eocd) throw invalid('central directory lies outside the file');
    const entries: ZipEntry[] = [];
    let declared = 0;
    let p = cdOffset;
    for (let i = 0; i < total; i++) {
      if (p + 46 > b.length || u32(b, p) !== CEN_SIG) throw invalid(`central directory entry ${i + 1} is corrupt`);
      const flags = u16(b, p + 8);
      const nameLen = u16(b, p + 28);
      const extraLen = u16(b, p + 30);
      const commentLen = u16(b, p + 32);
      const rawName = b.subarray(p + 46, p + 46 + nameLen);
      // Bit 11 marks UTF-8 names; Chinese Windows tools write GBK names without it.
      const name = flags & 0x800 || isValidUtf8(rawName) ? new TextDecoder().decode(rawName) : iconv.decode(rawName, 'gb18030');
      const entry: ZipEntry = {
        name,
        flags,
        method: u16(b, p + 10),
        crc: u32(b, p + 16),
        compressedSize: u32(b, p + 20),
        size: u32(b, p + 24),
        localOffset: u32(b, p + 42),
      };
      declared += entry.size;
      if (declared > this.limits.maxUncompressedBytes) {
        throw new ImportError(
          'ZIP_TOO_LARGE',
          `zip declares more than ${this.limits.maxUncompressedBytes} bytes uncompressed (entry "${name}" alone declares ${entry.size}); refused before inflating`,
        );
      }
      entries.push(entry);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  /** Inflates one entry, counting against the archive's total budget. */
  read(entry: ZipEntry): Uint8Array {
    const b = this.bytes;
    if (entry.flags & 0x1) throw new ImportError('ZIP_UNSUPPORTED', `zip entry "${entry.name}" is encrypted`);
    const p = entry.localOffset;
    if (p + 30 > b.length || u32(b, p) !== LOC_SIG) throw invalid(`local header of "${entry.name}" is missing`);
    const start = p + 30 + u16(b, p + 26) + u16(b, p + 28);
    const end = start + entry.compressedSize;
    if (end > b.length) throw invalid(`entry "${entry.name}" is truncated`);
    const remaining = this.limits.maxUncompressedBytes - this.inflated;
    if (entry.size > remaining) {
      throw new ImportError('ZIP_TOO_LARGE', `zip entries inflate to more than ${this.limits.maxUncompressedBytes} bytes in total`);
    }
    const data = b.subarray(start, end);
    let out: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) throw invalid(`stored entry "${entry.name}" has inconsistent sizes`);
      out = data;
    } else if (entry.method === 8) {
      try {
        // An empty entry still needs room for zlib to report the overrun.
        out = inflateRawSync(data, { maxOutputLength: Math.max(entry.size, 1) });
      } catch (err) {
        if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new ImportError(
            'ZIP_TOO_LARGE',
            `zip entry "${entry.name}" inflates beyond its declared size of ${entry.size} bytes (zip bomb?); refused`,
          );
        }
        throw invalid(`entry "${entry.name}" does not inflate: ${(err as Error).message}`);
      }
      if (out.length !== entry.size) throw invalid(`entry "${entry.name}" inflates to ${out.length} bytes, not the declared ${entry.size}`);
    } else {
      throw new ImportError('ZIP_UNSUPPORTED', `zip entry "${entry.name}" uses compression method ${entry.method}; only stored and deflate are accepted`);
    }
    if ((crc32(out) >>> 0) !== entry.crc) throw invalid(`entry "${entry.name}" fails its CRC check (corrupt)`);
    this.inflated += out.length;
    return out;
  }
}
