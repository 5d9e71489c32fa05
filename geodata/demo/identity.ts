import type { Rng } from './random.ts';

/**
 * Synthetic but format-valid identifiers. They follow the published check-digit rules so that
 * validators in the console accept them; the numbers themselves are random and belong to no one.
 */

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** GB 11643-1999 (ISO 7064 MOD 11-2) check character of the first 17 digits. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

export function isValidIdNumber(id: string): boolean {
  return /^[0-9]{17}[0-9X]$/.test(id) && idCheckChar(id.slice(0, 17)) === id[17];
}

/**
 * 18-digit resident ID: region (6), birth date (8), sequence (3, odd for men), check. `taken`
 * keeps them unique across the world.
 */
export function idNumber(rng: Rng, region: string, birthDate: string, gender: 'M' | 'F', taken: Set<string>): string {
  const date = birthDate.replaceAll('-', '');
  let seq = rng.int(0, 499) * 2 + (gender === 'M' ? 1 : 0);
  for (;;) {
    const first17 = `${region}${date}${String(seq).padStart(3, '0')}`;
    const id = first17 + idCheckChar(first17);
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
    seq = (seq + 2) % 1000;
  }
}

const MOBILE_PREFIXES = ['130', '131', '132', '135', '136', '137', '138', '139', '150', '151', '152', '155', '156', '157', '158', '159', '166', '176', '177', '180', '181', '182', '183', '186', '187', '188', '189', '191', '198', '199'];

export function mobile(rng: Rng): string {
  return rng.pick(MOBILE_PREFIXES) + String(rng.int(0, 99_999_999)).padStart(8, '0');
}

// GB 32100-2015 unified social credit code. Its alphabet leaves out I, O, Z, S and V.
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

function orgCodeValue(ch: string): number {
  return /[0-9]/.test(ch) ? Number(ch) : ch.charCodeAt(0) - 55;
}

/** GB 11714 organisation-code check character for an 8-character body. */
function orgCodeCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += orgCodeValue(body[i]!) * ORG_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

function usccCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

export function isValidCreditCode(code: string): boolean {
  if (!/^[0-9A-Z]{18}$/.test(code)) return false;
  if ([...code].some((c) => !USCC_ALPHABET.includes(c))) return false;
  return orgCodeCheck(code.slice(8, 16)) === code[16] && usccCheck(code.slice(0, 17)) === code[17];
}

/**
 * `authority` + `category`: 91 enterprise, 92 individual business (个体工商户), 11 government body,
 * 12 public institution, 52 private non-enterprise (e.g. a private kindergarten).
 */
export function creditCode(rng: Rng, kind: '91' | '92' | '11' | '12' | '52', region: string, taken: Set<string>): string {
  for (;;) {
    let body = '';
    for (let i = 0; i < 8; i++) body += i < 2 ? rng.pick(['M', 'A', 'L', '0', '5', '3']) : USCC_ALPHABET[rng.int(0, 30)]!;
    const first17 = `${kind}${region}${body}${orgCodeCheck(body)}`;
    const code = first17 + usccCheck(first17);
    if (!taken.has(code)) {
      taken.add(code);
      return code;
    }
  }
}
