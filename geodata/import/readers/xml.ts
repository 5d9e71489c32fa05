import { DOMParser } from '@xmldom/xmldom';
import { ImportError } from '../errors.ts';

/**
 * Parses XML strictly: errors (not only fatal ones) stop parsing and become a PARSE_ERROR naming
 * the problem, and nothing is printed to the console. xmldom resolves no external entities.
 */
export function parseXml(text: string, what: string): ReturnType<DOMParser['parseFromString']> {
  let first: string | null = null;
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level === 'warning') return;
      first ??= message.split('\n')[0]!.trim();
      throw new Error(first);
    },
  });
  try {
    return parser.parseFromString(text, 'text/xml');
  } catch (err) {
    throw new ImportError('PARSE_ERROR', `${what} is not well-formed XML: ${first ?? (err as Error).message.split('\n')[0]}`);
  }
}
