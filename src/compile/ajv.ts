/**
 * The ajv instance for a bundle (JSON Schema 2020-12) with the XSD keywords and formats the
 * generated schemas use, and the translation of ajv's errors into the contract's
 * `{pointer, detail}` violations.
 */
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import type { SchemaValidateFunction } from 'ajv';
import { compareDecimal, decimalDigits, isValidLexical, numberToDecimal } from '../codec/values';
import type { BuiltinKind, Facets } from '../model/xsd';
import { escapePointer, type Violation } from './codec';
import { MAX_SAFE } from './json-schema';

const FORMAT_LABELS: Record<string, string> = {
  dateTime: 'an xs:dateTime (YYYY-MM-DDThh:mm:ss with optional fraction and time zone)',
  date: 'an xs:date (YYYY-MM-DD with optional time zone)',
  time: 'an xs:time (hh:mm:ss with optional fraction and time zone)',
  duration: 'an xs:duration (such as P1Y2M3DT4H5M6S)',
  gYear: 'an xs:gYear (YYYY)',
  gYearMonth: 'an xs:gYearMonth (YYYY-MM)',
  gMonth: 'an xs:gMonth (--MM)',
  gMonthDay: 'an xs:gMonthDay (--MM-DD)',
  gDay: 'an xs:gDay (---DD)',
  base64Binary: 'base64 (xs:base64Binary)',
  hexBinary: 'hexadecimal octets (xs:hexBinary)',
};

type NumericKeyword = { integer: boolean } & Pick<Facets, 'minInclusive' | 'maxInclusive' | 'minExclusive' | 'maxExclusive' | 'totalDigits' | 'fractionDigits'>;

function numericCheck(k: NumericKeyword, data: unknown): string | undefined {
  let text: string;
  if (typeof data === 'number') text = numberToDecimal(data);
  else if (typeof data === 'string') {
    if (!(k.integer ? /^[+-]?[0-9]+$/ : /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/).test(data)) return undefined; // `pattern` reports it
    text = data;
    // Ranges of numbers are checked by minimum/maximum; strings need exact comparison.
    if (k.minInclusive !== undefined && compareDecimal(text, k.minInclusive) < 0) return `must be >= ${k.minInclusive}`;
    if (k.maxInclusive !== undefined && compareDecimal(text, k.maxInclusive) > 0) return `must be <= ${k.maxInclusive}`;
    if (k.minExclusive !== undefined && compareDecimal(text, k.minExclusive) <= 0) return `must be > ${k.minExclusive}`;
    if (k.maxExclusive !== undefined && compareDecimal(text, k.maxExclusive) >= 0) return `must be < ${k.maxExclusive}`;
  } else return undefined;
  if (k.totalDigits !== undefined || k.fractionDigits !== undefined) {
    const d = decimalDigits(text);
    if (k.totalDigits !== undefined && d.total > k.totalDigits) return `must have at most ${k.totalDigits} digits`;
    if (k.fractionDigits !== undefined && d.fraction > k.fractionDigits) return `must have at most ${k.fractionDigits} fraction digits`;
  }
  return undefined;
}

function octetLength(kind: string, s: string): number {
  if (kind === 'hexBinary') return s.length / 2;
  const b = s.replace(/ /g, '');
  const pad = b.endsWith('==') ? 2 : b.endsWith('=') ? 1 : 0;
  return (b.length / 4) * 3 - pad;
}

export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false, unicodeRegExp: true, validateFormats: true });
  ajv.addVocabulary(['x-xsd-choice']);
  const numeric: SchemaValidateFunction = function validate(schema: NumericKeyword, data: unknown) {
    const msg = numericCheck(schema, data);
    if (msg) (validate as SchemaValidateFunction).errors = [{ keyword: 'xsdNumeric', message: msg, params: {} }];
    return msg === undefined;
  };
  ajv.addKeyword({ keyword: 'xsdNumeric', type: ['number', 'string'], schemaType: 'object', errors: true, validate: numeric });
  const octets: SchemaValidateFunction = function validate(schema: { kind: string; length?: number; minLength?: number; maxLength?: number }, data: unknown) {
    if (typeof data !== 'string' || !isValidLexical(schema.kind as BuiltinKind, data)) return true;
    const n = octetLength(schema.kind, data);
    let msg: string | undefined;
    if (schema.length !== undefined && n !== schema.length) msg = `must be exactly ${schema.length} octets`;
    else if (schema.minLength !== undefined && n < schema.minLength) msg = `must be at least ${schema.minLength} octets`;
    else if (schema.maxLength !== undefined && n > schema.maxLength) msg = `must be at most ${schema.maxLength} octets`;
    if (msg) (validate as SchemaValidateFunction).errors = [{ keyword: 'xsdOctets', message: msg, params: {} }];
    return msg === undefined;
  };
  ajv.addKeyword({ keyword: 'xsdOctets', type: 'string', schemaType: 'object', errors: true, validate: octets });
  const occurs: SchemaValidateFunction = function validate(schema: { names: string[]; min: number; max: number | null }[], data: unknown) {
    const errors: Partial<ErrorObject>[] = [];
    const obj = data as Record<string, unknown>;
    for (const o of schema) {
      let n = 0;
      for (const name of o.names) {
        const v = obj[name];
        n += Array.isArray(v) ? v.length : v === undefined ? 0 : 1;
      }
      // JSON has no Infinity: an unbounded choice's max is written as null.
      const max = o.max === null ? Infinity : o.max;
      if (n < o.min || n > max) {
        const bound = n < o.min ? `at least ${o.min}` : `at most ${max}`;
        errors.push({ keyword: 'xsdOccurs', message: `must hold ${bound} of ${o.names.join(', ')} together (a repeating xs:choice or substitution group), found ${n}`, params: {} });
      }
    }
    if (errors.length) (validate as SchemaValidateFunction).errors = errors;
    return errors.length === 0;
  };
  ajv.addKeyword({ keyword: 'xsdOccurs', type: 'object', schemaType: 'array', errors: true, validate: occurs });
  for (const kind of Object.keys(FORMAT_LABELS)) {
    ajv.addFormat(`xsd-${kind}`, { type: 'string', validate: (s: string) => isValidLexical(kind as BuiltinKind, s) });
  }
  return ajv;
}

function typeWords(t: unknown): string {
  const list = String(t).split(',');
  const words = list.map((x) => (x === 'integer' ? 'an integer' : x === 'number' ? 'a number' : x === 'string' ? 'a string' : x === 'boolean' ? 'a boolean' : x === 'object' ? 'an object' : x === 'array' ? 'an array' : x));
  if (list.includes('integer') && list.includes('string')) return 'an integer (or a string of digits)';
  if (list.includes('number') && list.includes('string')) return 'a number (or a numeric string)';
  return words.join(' or ');
}

const choiceNameCache = new WeakMap<object, Set<string>>();

/** Every property name declared inside the xs:choice subschemas (allOf/if/then/else) of an object schema. */
function choiceNames(schema: unknown): Set<string> {
  if (!schema || typeof schema !== 'object') return new Set();
  const cached = choiceNameCache.get(schema);
  if (cached) return cached;
  const names = new Set<string>();
  const visit = (s: unknown): void => {
    if (!s || typeof s !== 'object') return;
    const o = s as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) names.add(k);
    for (const key of ['if', 'then', 'else']) visit(o[key]);
    if (Array.isArray(o.allOf)) o.allOf.forEach(visit);
    if (Array.isArray(o.anyOf)) o.anyOf.forEach(visit);
  };
  const root = schema as Record<string, unknown>;
  if (Array.isArray(root.allOf)) root.allOf.forEach(visit);
  choiceNameCache.set(schema, names);
  return names;
}

/** ajv errors -> contract violations: one per problem, at the JSON Pointer it is about. */
export function violationsOf(errors: ErrorObject[] | null | undefined): Violation[] {
  if (!errors) return [];
  const out: Violation[] = [];
  const seen = new Set<string>();
  // Errors under a failed choice "missing" marker's subschemas are explained by the marker itself.
  const push = (pointer: string, detail: string): void => {
    const key = `${pointer}\u0000${detail}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ pointer, detail });
  };
  for (const e of errors) {
    const at = e.instancePath;
    switch (e.keyword) {
      case 'if':
        break; // the failing branch's own errors say why
      case 'required':
        push(`${at}/${escapePointer(String(e.params.missingProperty))}`, 'is required');
        break;
      case 'additionalProperties':
        push(`${at}/${escapePointer(String(e.params.additionalProperty))}`, 'is not a property of this type');
        break;
      case 'unevaluatedProperties': {
        // A property of a choice branch counts as unevaluated when its branch fails; the
        // branch's own errors explain that, so only truly unknown names are reported here.
        const name = String(e.params.unevaluatedProperty);
        if (!choiceNames(e.parentSchema).has(name)) push(`${at}/${escapePointer(name)}`, 'is not a property of this type');
        break;
      }
      case 'false schema':
        push(at, 'cannot be combined with the alternative already given (xs:choice)');
        break;
      case 'not': {
        const parent = e.parentSchema as Record<string, unknown> | undefined;
        const names = parent?.['x-xsd-choice'];
        if (Array.isArray(names)) push(at, `must contain one of: ${names.join(', ')} (xs:choice)`);
        else push(at, e.message ?? 'is not valid');
        break;
      }
      case 'type':
        push(at, `must be ${typeWords(e.params.type)}`);
        break;
      case 'format': {
        const f = String(e.params.format).replace(/^xsd-/, '');
        push(at, `must be ${FORMAT_LABELS[f] ?? f}`);
        break;
      }
      case 'enum': {
        const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
        push(at, `must be one of ${allowed.length > 12 ? allowed.slice(0, 12).join(', ') + ', …' : allowed.join(', ')}`);
        break;
      }
      case 'maximum':
      case 'minimum':
        if (Math.abs(Number(e.params.limit)) === MAX_SAFE && typeof e.data === 'number')
          push(at, `is beyond ±${MAX_SAFE}, where JSON numbers lose digits: send it as a string`);
        else push(at, e.message ?? 'is out of range');
        break;
      default:
        push(at, e.message ?? `is not valid (${e.keyword})`);
    }
  }
  return out;
}
