/**
 * Simple values: the XSD built-in types, their lexical forms, and the JSON form of each
 * (CONTRACT §4 rules 4 and 11). Shared by the codec (both directions) and the validators.
 */
import type { BuiltinKind } from '../model/xsd';

export interface BuiltinInfo {
  kind: BuiltinKind;
  /** NMTOKENS, IDREFS, ENTITIES: a list of the kind. */
  list?: boolean;
  minInclusive?: string;
  maxInclusive?: string;
  whiteSpace: 'preserve' | 'replace' | 'collapse';
  /** Lexical pattern beyond the kind's own (string subtypes such as NCName, language). */
  pattern?: string;
}

const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = `[${NAME_START.slice(1)}][${NAME_CHAR.slice(1)}]*`;

const collapse = 'collapse' as const;
const str = (whiteSpace: BuiltinInfo['whiteSpace'], pattern?: string): BuiltinInfo => ({ kind: 'string', whiteSpace, pattern });
const big = (minInclusive?: string, maxInclusive?: string): BuiltinInfo => ({ kind: 'integer', whiteSpace: collapse, minInclusive, maxInclusive });
const small = (minInclusive: string, maxInclusive: string): BuiltinInfo => ({ kind: 'int', whiteSpace: collapse, minInclusive, maxInclusive });
const atomic = (kind: BuiltinKind): BuiltinInfo => ({ kind, whiteSpace: collapse });

/** Every XSD 1.0 built-in simple type (and the XSD 1.1 additions seen in WSDLs). */
export const BUILTINS: Record<string, BuiltinInfo> = {
  anySimpleType: { kind: 'anySimpleType', whiteSpace: 'preserve' },
  anyAtomicType: { kind: 'anySimpleType', whiteSpace: 'preserve' },
  string: str('preserve'),
  normalizedString: str('replace'),
  token: str(collapse),
  language: str(collapse, '^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$'),
  Name: str(collapse, `^[${NAME_START}][${NAME_CHAR}]*$`),
  NCName: str(collapse, `^${NCNAME}$`),
  ID: str(collapse, `^${NCNAME}$`),
  IDREF: str(collapse, `^${NCNAME}$`),
  ENTITY: str(collapse, `^${NCNAME}$`),
  NMTOKEN: str(collapse, `^[${NAME_CHAR}]+$`),
  NMTOKENS: { ...str(collapse, `^[${NAME_CHAR}]+$`), list: true },
  IDREFS: { ...str(collapse, `^${NCNAME}$`), list: true },
  ENTITIES: { ...str(collapse, `^${NCNAME}$`), list: true },
  boolean: atomic('boolean'),
  float: atomic('float'),
  double: atomic('double'),
  decimal: atomic('decimal'),
  precisionDecimal: atomic('decimal'),
  integer: big(),
  nonPositiveInteger: big(undefined, '0'),
  negativeInteger: big(undefined, '-1'),
  nonNegativeInteger: big('0'),
  positiveInteger: big('1'),
  long: big('-9223372036854775808', '9223372036854775807'),
  unsignedLong: big('0', '18446744073709551615'),
  int: small('-2147483648', '2147483647'),
  short: small('-32768', '32767'),
  byte: small('-128', '127'),
  unsignedInt: small('0', '4294967295'),
  unsignedShort: small('0', '65535'),
  unsignedByte: small('0', '255'),
  dateTime: atomic('dateTime'),
  dateTimeStamp: atomic('dateTime'),
  date: atomic('date'),
  time: atomic('time'),
  duration: atomic('duration'),
  dayTimeDuration: atomic('duration'),
  yearMonthDuration: atomic('duration'),
  gYear: atomic('gYear'),
  gYearMonth: atomic('gYearMonth'),
  gMonth: atomic('gMonth'),
  gMonthDay: atomic('gMonthDay'),
  gDay: atomic('gDay'),
  base64Binary: atomic('base64Binary'),
  hexBinary: atomic('hexBinary'),
  anyURI: atomic('anyURI'),
  QName: atomic('QName'),
  NOTATION: atomic('QName'),
};

const TZ = '(Z|[+-]\\d{2}:\\d{2})?';
/** Lexical forms of the non-string kinds (after whitespace collapse). */
export const LEXICAL: Partial<Record<BuiltinKind, RegExp>> = {
  boolean: /^(true|false|1|0)$/,
  decimal: /^[+-]?(\d+(\.\d*)?|\.\d+)$/,
  integer: /^[+-]?\d+$/,
  int: /^[+-]?\d+$/,
  float: /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$/,
  double: /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$/,
  dateTime: new RegExp(`^-?\\d{4,}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?${TZ}$`),
  date: new RegExp(`^-?\\d{4,}-\\d{2}-\\d{2}${TZ}$`),
  time: new RegExp(`^\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?${TZ}$`),
  duration: /^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/,
  gYear: new RegExp(`^-?\\d{4,}${TZ}$`),
  gYearMonth: new RegExp(`^-?\\d{4,}-\\d{2}${TZ}$`),
  gMonth: new RegExp(`^--\\d{2}(--)?${TZ}$`),
  gMonthDay: new RegExp(`^--\\d{2}-\\d{2}${TZ}$`),
  gDay: new RegExp(`^---\\d{2}${TZ}$`),
  base64Binary: /^[A-Za-z0-9+/= ]*$/,
  hexBinary: /^([0-9a-fA-F]{2})*$/,
  QName: new RegExp(`^(${NCNAME}:)?${NCNAME}$`, 'u'),
};

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** XSD 1.0 years: '0000' is not a year, and a year of more than four digits has no leading zero. */
function validYear(y: string): boolean {
  return !/^0{4}$/.test(y) && !(y.length > 4 && y.startsWith('0'));
}

function validTz(tz: string | undefined): boolean {
  if (!tz || tz === 'Z') return true;
  const h = Number(tz.slice(1, 3));
  const m = Number(tz.slice(4, 6));
  return m <= 59 && (h < 14 || (h === 14 && m === 0));
}

function validDate(y: string, mo: string, d: string): boolean {
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  if (month === 2 && day === 29) return isLeap(Math.abs(Number(y)));
  return day <= DAYS_IN_MONTH[month - 1];
}

function validTime(h: string, mi: string, s: string): boolean {
  const hour = Number(h);
  if (hour === 24) return Number(mi) === 0 && Number(s) === 0;
  return hour <= 23 && Number(mi) <= 59 && Number(s) < 60;
}

const DATE_PARTS = /^-?(\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?))?(Z|[+-]\d{2}:\d{2})?$/;
const TIME_PARTS = /^(\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$/;
const G_PARTS = /(Z|[+-]\d{2}:\d{2})$/;

/** Lexical and value check of a (whitespace-collapsed) literal of a non-string kind. */
export function isValidLexical(kind: BuiltinKind, text: string): boolean {
  const re = LEXICAL[kind];
  if (re && !re.test(text)) return false;
  switch (kind) {
    case 'dateTime':
    case 'date': {
      const m = DATE_PARTS.exec(text);
      if (!m || (kind === 'dateTime') !== (m[4] !== undefined)) return false;
      if (!validYear(m[1])) return false;
      if (!validDate(m[1], m[2], m[3]) || !validTz(m[7])) return false;
      return kind === 'date' || validTime(m[4], m[5], m[6]);
    }
    case 'time': {
      const m = TIME_PARTS.exec(text);
      return !!m && validTime(m[1], m[2], m[3]) && validTz(m[4]);
    }
    case 'gYearMonth':
    case 'gMonth':
    case 'gMonthDay':
    case 'gDay': {
      const tz = G_PARTS.exec(text)?.[1];
      if (!validTz(tz)) return false;
      const body = tz ? text.slice(0, -tz.length) : text;
      if (kind === 'gYearMonth') {
        if (!validYear(/^-?(\d+)/.exec(body)![1])) return false;
        const mo = Number(body.slice(body.lastIndexOf('-') + 1));
        return mo >= 1 && mo <= 12;
      }
      if (kind === 'gMonth') {
        const mo = Number(body.slice(2, 4));
        return mo >= 1 && mo <= 12;
      }
      if (kind === 'gMonthDay') return validDate('2000', body.slice(2, 4), body.slice(5, 7));
      const d = Number(body.slice(3, 5));
      return d >= 1 && d <= 31;
    }
    case 'gYear': {
      const tz = G_PARTS.exec(text)?.[1];
      return validTz(tz) && validYear(/^-?(\d+)/.exec(text)![1]);
    }
    case 'base64Binary': {
      const b = text.replace(/ /g, '');
      return b.length % 4 === 0 && /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)?$/.test(b) && (b.length > 0 || text === '');
    }
    default:
      return true;
  }
}

/** Applies an XSD whiteSpace facet. */
export function normalizeWhitespace(text: string, ws: 'preserve' | 'replace' | 'collapse'): string {
  if (ws === 'preserve') return text;
  const replaced = /[\t\n\r]/.test(text) ? text.replace(/[\t\n\r]/g, ' ') : text;
  if (ws === 'replace') return replaced;
  // Only #x20 is trimmed: String.prototype.trim would also strip NBSP and other Unicode spaces.
  return replaced.indexOf('  ') >= 0 || replaced.startsWith(' ') || replaced.endsWith(' ') ? replaced.replace(/ +/g, ' ').replace(/^ | $/g, '') : replaced;
}

/** Canonical decimal text: no '+', no leading zeros, no trailing fraction zeros, '0' for zero. */
export function canonicalDecimal(text: string): string {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let [int, frac = ''] = s.split('.');
  int = int.replace(/^0+/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return neg && body !== '0' ? `-${body}` : body;
}

/** A double written as plain decimal text (no exponent), shortest round-trip digits. */
export function numberToDecimal(n: number): string {
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s === '-0' ? '0' : s;
  const neg = s[0] === '-';
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const [i, f = ''] = mantissa.split('.');
  const digits = i + f;
  const point = i.length + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return canonicalDecimal(neg ? `-${out}` : out);
}

/** The JSON value of a decimal literal: a number when the double keeps the value, else canonical text. */
export function decimalToJson(text: string): number | string {
  // Up to 15 significant digits always survive a double (DBL_DIG): the common case, no copying.
  if (text.length <= 15) {
    const n = Number(text);
    return n === 0 ? 0 : n; // no -0
  }
  const c = canonicalDecimal(text);
  const n = Number(c);
  return numberToDecimal(n) === c ? n : c;
}

/** The JSON value of an integer literal of an unbounded or 64-bit type. */
export function integerToJson(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : canonicalDecimal(text);
}

/** Compares two decimal texts by value: negative, zero or positive. */
export function compareDecimal(a: string, b: string): number {
  const ca = canonicalDecimal(a);
  const cb = canonicalDecimal(b);
  const na = ca.startsWith('-');
  const nb = cb.startsWith('-');
  if (na !== nb) return na ? -1 : 1;
  const [ai, af = ''] = (na ? ca.slice(1) : ca).split('.');
  const [bi, bf = ''] = (nb ? cb.slice(1) : cb).split('.');
  let cmp = ai.length !== bi.length ? ai.length - bi.length : ai < bi ? -1 : ai > bi ? 1 : 0;
  if (cmp === 0) {
    const len = Math.max(af.length, bf.length);
    const fa = af.padEnd(len, '0');
    const fb = bf.padEnd(len, '0');
    cmp = fa < fb ? -1 : fa > fb ? 1 : 0;
  }
  return na ? -cmp : cmp;
}

/** Total and fraction digits of a decimal value (trailing fraction zeros and leading zeros do not count). */
export function decimalDigits(text: string): { total: number; fraction: number } {
  // One pass over the characters: integer digits after leading zeros, fraction digits before
  // trailing zeros.
  let start = text.charCodeAt(0) === 43 || text.charCodeAt(0) === 45 ? 1 : 0;
  while (start < text.length && text.charCodeAt(start) === 48) start++;
  const point = text.indexOf('.', start);
  const intEnd = point < 0 ? text.length : point;
  let fracEnd = text.length;
  if (point >= 0) while (fracEnd > point + 1 && text.charCodeAt(fracEnd - 1) === 48) fracEnd--;
  const fraction = point < 0 ? 0 : fracEnd - point - 1;
  return { total: Math.max(1, intEnd - start + fraction), fraction };
}

/** Writes a JSON number or numeric string as a lexical value of the kind. */
export function numericToText(kind: BuiltinKind, v: number | string): string {
  if (typeof v === 'string') return v;
  if (kind === 'decimal' || kind === 'integer' || kind === 'int') return numberToDecimal(v);
  return String(v);
}
