/**
 * fast-check arbitraries derived from a bundle's JSON Schema document (`$defs`): values the
 * operation's validator accepts and whose JSON form survives JSON -> XML -> JSON unchanged
 * (canonical numbers, dates and strings; README "The JSON form of XML").
 */
import fc from 'fast-check';

type Schema = Record<string, unknown>;

/** Whether every code point of `s` is an XML 1.0 Char. */
export function xmlWritable(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) return false;
  }
  return true;
}

/** Strings over all of Unicode (lone surrogates and C0 controls included), unfiltered. */
export const anyUnicode = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('<', '&', ']]>', '"', "'", '\t', '\r', '\r\n', ' lead', 'trail ', 'é', '😀', '&amp;', '<![CDATA[x]]>'),
);
/** The writable ones. */
export const xmlString = anyUnicode.filter(xmlWritable);

const digit = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
/** Some \p{Nd} digits beyond ASCII (Arabic-Indic, Devanagari, fullwidth, mathematical). */
const ndDigit = fc.oneof({ weight: 4, arbitrary: digit }, { weight: 1, arbitrary: fc.constantFrom('٣', '७', '９', '𝟘') });
const upper = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
const join = (parts: fc.Arbitrary<string>[]): fc.Arbitrary<string> => fc.tuple(...parts).map((a) => a.join(''));
const rep = (a: fc.Arbitrary<string>, min: number, max: number): fc.Arbitrary<string> => fc.array(a, { minLength: min, maxLength: max }).map((x) => x.join(''));

/** The patterns of the demo bundles; an unknown pattern fails loudly (the generator must grow). */
const PATTERNS: Record<string, fc.Arbitrary<string>> = {
  '^(?:[A-Z]{3}-\\p{Nd}{3,6})$': join([rep(upper, 3, 3), fc.constant('-'), rep(ndDigit, 3, 6)]),
  '^(?:[A-Z]{2})$': rep(upper, 2, 2),
  '^(?:[A-Z]{3})$': rep(upper, 3, 3),
  '^(?:\\p{Nd}{4})$': rep(ndDigit, 4, 4),
};

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const dateArb = fc.record({ y: fc.integer({ min: 1, max: 9999 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 31 }) })
  .filter(({ y, m, d }) => d <= new Date(Date.UTC(2000, m, 0)).getUTCDate() && !(m === 2 && d === 29 && !((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0)))
  .map(({ y, m, d }) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
const offsetArb = fc.oneof(fc.constant(''), fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 13 }), fc.constantFrom(0, 30, 45)).map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`));
const dateTimeArb = fc
  .tuple(dateArb, fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.option(rep(digit, 1, 6), { nil: undefined }), offsetArb)
  .map(([d, h, mi, s, f, o]) => `${d}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${f === undefined ? '' : '.' + f}${o}`);

/** A canonical decimal string no double reads back as the same text (it stays a string in the JSON form). */
function inexactDecimal(nonNegative: boolean, intDigits: number, fracDigits: number): fc.Arbitrary<string> {
  return fc
    .tuple(nonNegative ? fc.constant('') : fc.constantFrom('', '-'), fc.constantFrom('1', '2', '3', '4', '6', '7', '8', '9'), rep(digit, 0, Math.max(0, intDigits - 1)), rep(digit, 0, Math.max(0, fracDigits - 1)), fc.constantFrom('1', '3', '7', '9'))
    .map(([sign, lead, int, frac, last]) => `${sign}${lead}${int}.${frac}${last}`)
    // Those a double holds as the same shortest text ("1.1") are numbers in the JSON form.
    .filter((t) => String(Number(t)) !== t);
}

export function arbitraryFor(doc: { $defs: Record<string, Schema> }, def: string, maxDepth = 4): fc.Arbitrary<unknown> {
  const of = (s: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (typeof s.$ref === 'string') {
      const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1];
      if (!name || !doc.$defs[name]) throw new Error(`unresolved $ref ${s.$ref}`);
      return of(doc.$defs[name], depth + 1);
    }
    if (s.if && (s.if as Schema).type === 'null' && s.else) return fc.oneof(fc.constant(null), of(s.else as Schema, depth));
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const alts: fc.Arbitrary<unknown>[] = [];
    if (types.includes('null')) alts.push(fc.constant(null));
    const numeric = s.xsdNumeric as { integer: boolean; minInclusive?: string; maxInclusive?: string; fractionDigits?: number; totalDigits?: number } | undefined;
    if (numeric?.integer) {
      alts.push(fc.integer({ min: Math.max(Number(s.minimum ?? -Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER), max: Math.min(Number(s.maximum ?? Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER) }));
      const lo = BigInt(numeric.minInclusive ?? '-99999999999999999999999');
      const hi = BigInt(numeric.maxInclusive ?? '99999999999999999999999');
      // Beyond ±2^53 the JSON form is a string.
      const safe = BigInt(Number.MAX_SAFE_INTEGER);
      alts.push(fc.bigInt({ min: safe + 1n, max: hi }).map(String));
      if (lo < -safe) alts.push(fc.bigInt({ min: lo, max: -safe - 1n }).map(String));
    } else if (numeric) {
      const nonNegative = numeric.minInclusive !== undefined && Number(numeric.minInclusive) >= 0;
      const fracMax = numeric.fractionDigits ?? 12;
      const intMax = (numeric.totalDigits ?? 30) - fracMax;
      // Numbers with few digits (exact as decimals), and strings a double cannot hold.
      alts.push(
        fc.tuple(fc.integer({ min: nonNegative ? 0 : -9999999, max: 9999999 }), fc.integer({ min: 0, max: 4 })).map(([n, k]) => n / 10 ** k).map((x) => (Object.is(x, -0) ? 0 : x)),
        inexactDecimal(nonNegative, Math.min(intMax, 18), Math.min(fracMax, 12)),
      );
    } else if (s.pattern === '^([+-]?INF|NaN)$') {
      alts.push(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), fc.constantFrom('INF', '-INF', 'NaN'));
    } else if (types.includes('integer')) {
      alts.push(fc.integer({ min: Number(s.minimum ?? -(2 ** 31)), max: Number(s.maximum ?? 2 ** 31 - 1) }));
    } else if (types.includes('number')) {
      alts.push(fc.double({ noNaN: true, noDefaultInfinity: true }));
    } else if (types.includes('string')) {
      if (typeof s.pattern === 'string') {
        const p = PATTERNS[s.pattern];
        if (!p) throw new Error(`no generator for pattern ${s.pattern}`);
        alts.push(p);
      } else if (s.format === 'xsd-date') alts.push(dateArb);
      else if (s.format === 'xsd-dateTime') alts.push(dateTimeArb);
      else if (s.format !== undefined) throw new Error(`no generator for format ${String(s.format)}`);
      else alts.push(xmlString);
    }
    if (types.includes('boolean')) alts.push(fc.boolean());
    if (types.includes('array')) {
      alts.push(fc.array(of(s.items as Schema, depth), { minLength: Number(s.minItems ?? 0), maxLength: depth >= maxDepth ? Number(s.minItems ?? 0) : 3 }));
    }
    if (types.includes('object') || s.allOf) alts.push(objectOf(s, depth));
    if (alts.length === 0) throw new Error(`no generator for ${JSON.stringify(s)}`);
    return alts.length === 1 ? alts[0] : fc.oneof(...alts);
  };
  const objectOf = (s: Schema, depth: number): fc.Arbitrary<unknown> => {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = (s.required ?? []) as string[];
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, v] of Object.entries(props)) {
      // Deep optional content stops at maxDepth.
      if (depth >= maxDepth && !required.includes(k)) continue;
      model[k] = of(v, depth);
    }
    // A repeating element is always an array in the JSON form ([] when absent), so arrays are always given.
    const arrays = Object.keys(model).filter((k) => props[k].type === 'array');
    const base = fc.record(model, { requiredKeys: [...new Set([...required.filter((k) => k in model), ...arrays])] });
    // A choice (allOf of if/then chains): exactly one branch's properties.
    const branches: Schema[] = [];
    const walk = (c: Schema | undefined): void => {
      if (!c) return;
      if (c.then) branches.push(c.then as Schema);
      walk(c.else as Schema | undefined);
    };
    for (const a of (s.allOf ?? []) as Schema[]) walk(a);
    if (branches.length === 0) return base;
    const choice = fc.oneof(
      ...branches.map((b) => {
        const bp = Object.entries((b.properties ?? {}) as Record<string, Schema | boolean>).filter(([, v]) => v !== false) as [string, Schema][];
        return fc.record(Object.fromEntries(bp.map(([k, v]) => [k, of(v, depth)])));
      }),
    );
    return fc.tuple(base, choice).map(([a, b]) => ({ ...(a as object), ...(b as object) }));
  };
  const root = doc.$defs[def];
  if (!root) throw new Error(`no $defs/${def}`);
  return of(root, 0);
}
