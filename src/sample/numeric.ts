/**
 * A number (or, for the big XSD types, a numeric string) inside a schema's range and digit
 * facets. Candidates are tried in a fixed order, readable ones first (1, 0, 10, ...), then the
 * bounds and points between them, each checked against every facet: the first that passes wins.
 */
import { compareDecimal, decimalDigits, numberToDecimal } from '../codec/values';

export interface NumericFacets {
  integer: boolean;
  /** The schema also accepts a numeric string (xs:integer, xs:decimal, 64-bit types). */
  allowString: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  /** The `xsdNumeric` keyword: the facets as written in the XSD (exact decimal texts). */
  xsd?: { minInclusive?: string; maxInclusive?: string; minExclusive?: string; maxExclusive?: string; totalDigits?: number; fractionDigits?: number };
}

function digitsOk(f: NumericFacets, text: string): boolean {
  const x = f.xsd;
  if (!x) return true;
  const d = decimalDigits(text);
  if (x.totalDigits !== undefined && d.total > x.totalDigits) return false;
  if (x.fractionDigits !== undefined && d.fraction > x.fractionDigits) return false;
  if (x.minInclusive !== undefined && compareDecimal(text, x.minInclusive) < 0) return false;
  if (x.maxInclusive !== undefined && compareDecimal(text, x.maxInclusive) > 0) return false;
  if (x.minExclusive !== undefined && compareDecimal(text, x.minExclusive) <= 0) return false;
  if (x.maxExclusive !== undefined && compareDecimal(text, x.maxExclusive) >= 0) return false;
  return true;
}

function numberOk(f: NumericFacets, n: number): boolean {
  if (!Number.isFinite(n)) return false;
  if (f.integer && !Number.isSafeInteger(n)) return false;
  if (f.minimum !== undefined && n < f.minimum) return false;
  if (f.maximum !== undefined && n > f.maximum) return false;
  if (f.exclusiveMinimum !== undefined && n <= f.exclusiveMinimum) return false;
  if (f.exclusiveMaximum !== undefined && n >= f.exclusiveMaximum) return false;
  if (f.multipleOf !== undefined && f.multipleOf > 0) {
    const q = n / f.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) return false;
  }
  return digitsOk(f, numberToDecimal(n));
}

/** Rounds away binary noise (0.1 + 0.2) to the digits the facets allow. */
function tidy(n: number, f: NumericFacets): number {
  if (!Number.isFinite(n)) return n;
  if (f.integer) return Math.round(n);
  const places = Math.min(f.xsd?.fractionDigits ?? 6, 12);
  return Math.abs(n) >= 1e15 ? n : Number(n.toFixed(places));
}

function numberCandidates(f: NumericFacets): number[] {
  const lo = Math.max(f.minimum ?? -Infinity, f.exclusiveMinimum ?? -Infinity);
  const hi = Math.min(f.maximum ?? Infinity, f.exclusiveMaximum ?? Infinity);
  const out = [1, 0, 10, 100, -1];
  if (f.multipleOf !== undefined && f.multipleOf > 0) {
    out.push(f.multipleOf);
    if (Number.isFinite(lo)) out.push(Math.ceil(lo / f.multipleOf) * f.multipleOf, (Math.floor(lo / f.multipleOf) + 1) * f.multipleOf);
  }
  if (Number.isFinite(lo)) out.push(lo, Math.ceil(lo), Math.floor(lo) + 1, lo + 1, lo + 0.5, lo + 0.1, lo + 0.01);
  if (Number.isFinite(hi)) out.push(hi, Math.floor(hi), Math.ceil(hi) - 1, hi - 1, hi - 0.5, hi - 0.1, hi - 0.01);
  if (Number.isFinite(lo) && Number.isFinite(hi)) {
    const mid = lo / 2 + hi / 2;
    out.push(Math.round(mid), mid);
  }
  const fd = f.xsd?.fractionDigits;
  if (!f.integer && Number.isFinite(lo) && fd !== undefined && fd > 0) out.push(lo + 10 ** -Math.min(fd, 12));
  return out.map((n) => tidy(n, f));
}

/** Numeric texts for ranges beyond what a double holds exactly (xs:integer with huge bounds). */
function stringCandidates(f: NumericFacets): string[] {
  const x = f.xsd ?? {};
  const out: string[] = [];
  const step = (lit: string | undefined, by: bigint): void => {
    if (lit === undefined) return;
    const intPart = lit.trim().replace(/^\+/, '').split('.')[0] || '0';
    try {
      out.push(String(BigInt(intPart === '-' ? '0' : intPart) + by));
    } catch {
      /* not an integer literal */
    }
  };
  if (x.minInclusive !== undefined) out.push(x.minInclusive.trim());
  if (x.maxInclusive !== undefined) out.push(x.maxInclusive.trim());
  step(x.minInclusive, 1n);
  step(x.minExclusive, 1n);
  step(x.maxInclusive, -1n);
  step(x.maxExclusive, -1n);
  return out.filter((s) => /^[+-]?[0-9]+(\.[0-9]*)?$/.test(s) && (!f.integer || !s.includes('.')));
}

/** A value within the facets: a number, else (when the schema allows it) a numeric string; undefined when none is found. */
export function sampleNumeric(f: NumericFacets): number | string | undefined {
  const n = numberCandidates(f).find((c) => numberOk(f, c));
  if (n !== undefined) return n === 0 ? 0 : n; // never -0
  if (!f.allowString) return undefined;
  return stringCandidates(f).find((s) => digitsOk(f, s));
}
