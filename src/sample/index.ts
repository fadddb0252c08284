/**
 * Deterministic sample values for the JSON Schemas a bundle describes its messages with
 * (compile/json-schema.ts): the examples of the OpenAPI document, and the answers of a mock.
 * The same schema always gives the same value. What it produces is meant to be valid, but
 * the schemas can ask for the impossible (contradictory facets), so callers that publish a
 * sample check it with the bundle's validators; a sample that cannot be made is a
 * SampleError, never a guess.
 *
 * Understood: `$ref` (relative, or absolute to a document given to the Sampler), `const`,
 * `enum`, `type` lists, nullable forms (`type: [.., "null"]`, `if: {type: null}, else: S`),
 * objects with `properties`/`required`, `allOf` (merged), xs:choice as `if/then/else` chains
 * (the first branch that can be sampled), `anyOf`/`oneOf` (the first that can), arrays with
 * `minItems`/`maxItems`, numeric ranges (inclusive and exclusive), `xsdNumeric` digits,
 * strings with `minLength`/`maxLength`, `pattern`s, the `xsd-*` formats and `xsdOctets`.
 * The `x-xsd-numeric` / `x-xsd-octets` spellings of the OpenAPI document are read too.
 */
import { isValidLexical } from '../codec/values';
import type { BuiltinKind } from '../model/xsd';
import { sampleNumeric, type NumericFacets } from './numeric';
import { sampleRegex } from './regex';

export type JsonSchema = Record<string, unknown>;

export class SampleError extends Error {}
/** A `$ref` met again inside its own expansion: optional places stop there. */
class RecursionStop extends SampleError {}

export interface SampleOptions {
  /** Optional properties (and first array items) are filled in only this many objects deep. */
  optionalDepth?: number;
  /** ... and only while fewer values than this have been produced for the sample. */
  optionalBudget?: number;
  /** Values produced before a sample is given up as too large. */
  maxValues?: number;
}

export type SampleResult = { ok: true; value: unknown } | { ok: false; reason: string };

interface Ctx {
  base: JsonSchema;
  stack: string[];
  depth: number;
  values: number;
  steps: number;
}

const FORMAT_SAMPLES: Record<string, string> = {
  dateTime: '2024-05-17T09:30:00Z',
  date: '2024-05-17',
  time: '09:30:00',
  duration: 'P1D',
  gYear: '2024',
  gYearMonth: '2024-05',
  gMonth: '--05',
  gMonthDay: '--05-17',
  gDay: '---17',
};

const MAX_STEPS = 20000;

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typesOf(s: JsonSchema): string[] | undefined {
  if (typeof s.type === 'string') return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === 'string');
  return undefined;
}

/** The type to produce when the schema names none, from the keywords it uses. */
function impliedType(s: JsonSchema): string | undefined {
  if (s.properties !== undefined || s.required !== undefined || s.additionalProperties !== undefined || s.unevaluatedProperties !== undefined) return 'object';
  if (s.items !== undefined || s.minItems !== undefined || s.prefixItems !== undefined) return 'array';
  if (s.pattern !== undefined || s.minLength !== undefined || s.maxLength !== undefined || s.format !== undefined) return 'string';
  if (s.minimum !== undefined || s.maximum !== undefined || s.exclusiveMinimum !== undefined || s.exclusiveMaximum !== undefined) return 'number';
  return undefined;
}

/** `if: {type: "null"}, else: S`: the nullable form of a `$ref` (compile/json-schema.ts `nullable`). */
function isNullTest(s: unknown): boolean {
  return isObject(s) && s.type === 'null' && Object.keys(s).length === 1;
}

export class Sampler {
  private readonly docs = new Map<string, JsonSchema>();
  private readonly optionalDepth: number;
  private readonly optionalBudget: number;
  private readonly maxValues: number;

  /** `documents`: the schema documents (with `$id`) absolute `$ref`s may point into. */
  constructor(documents: JsonSchema[] = [], options: SampleOptions = {}) {
    for (const d of documents) if (typeof d.$id === 'string') this.docs.set(d.$id, d);
    this.optionalDepth = options.optionalDepth ?? 3;
    this.optionalBudget = options.optionalBudget ?? 80;
    this.maxValues = options.maxValues ?? 5000;
  }

  /** A value of `schema`; relative `$ref`s resolve against `base` (default: the schema itself). */
  sample(schema: JsonSchema | boolean, base?: JsonSchema): SampleResult {
    const ctx: Ctx = { base: base ?? (isObject(schema) ? schema : {}), stack: [], depth: 0, values: 0, steps: 0 };
    try {
      return { ok: true, value: this.value(schema, ctx) };
    } catch (e) {
      if (e instanceof SampleError) return { ok: false, reason: e.message };
      // Nesting deeper than the stack (a generated schema thousands of levels deep).
      if (e instanceof RangeError) return { ok: false, reason: `the schema cannot be sampled: ${e.message}` };
      throw e;
    }
  }

  private value(schema: unknown, ctx: Ctx): unknown {
    if (++ctx.steps > MAX_STEPS) throw new SampleError('the schema is too large to sample');
    if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return {};
    if (!isObject(schema)) throw new SampleError('nothing is allowed here (false schema)');
    if (++ctx.values > this.maxValues) throw new SampleError(`the sample would have over ${this.maxValues} values`);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) {
      const v = schema.enum.find((x) => x !== null);
      if (v !== undefined) return v;
      if (schema.enum.length) return null;
      throw new SampleError('the enumeration is empty');
    }
    if (typeof schema.$ref === 'string') return this.viaRef(schema.$ref, ctx, (s, c) => this.value(s, c));
    if (isNullTest(schema.if)) return schema.else === undefined ? null : this.value(schema.else, ctx);
    if (schema.not !== undefined && isObject(schema.not) && Object.keys(schema.not).length === 0) throw new SampleError('no alternative of a required xs:choice can be sampled');
    const types = typesOf(schema) ?? [impliedType(schema) ?? (schema.allOf || schema.if ? 'object' : '')];
    if (types[0] === '' && (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf))) return this.firstOf((schema.anyOf ?? schema.oneOf) as unknown[], ctx);
    let last: SampleError | undefined;
    for (const t of types.filter((x) => x !== 'null')) {
      try {
        return this.typed(t, schema, ctx);
      } catch (e) {
        if (!(e instanceof SampleError)) throw e;
        last = e;
      }
    }
    if (types.includes('null')) return null;
    if (types[0] === '') return {};
    throw last ?? new SampleError('no type to sample');
  }

  private typed(type: string, schema: JsonSchema, ctx: Ctx): unknown {
    switch (type) {
      case 'object':
        return this.object(schema, ctx);
      case 'array':
        return this.array(schema, ctx);
      case 'string':
        return this.string(schema);
      case 'integer':
      case 'number':
        return this.number(schema, type === 'integer');
      case 'boolean':
        return true;
      default:
        throw new SampleError(`unknown type ${type}`);
    }
  }

  private firstOf(options: unknown[], ctx: Ctx): unknown {
    let last: SampleError | undefined;
    for (const o of options) {
      try {
        return this.value(o, ctx);
      } catch (e) {
        if (!(e instanceof SampleError)) throw e;
        last = e;
      }
    }
    throw last ?? new SampleError('no alternative');
  }

  /** Resolves `ref`, refusing to enter a definition already being expanded (recursion). */
  private viaRef<T>(ref: string, ctx: Ctx, then: (s: unknown, c: Ctx) => T): T {
    const { schema, doc, key } = this.resolve(ref, ctx.base);
    if (ctx.stack.includes(key)) throw new RecursionStop(`${key} contains itself`);
    const outer = ctx.base;
    ctx.stack.push(key);
    ctx.base = doc;
    try {
      return then(schema, ctx);
    } finally {
      ctx.stack.pop();
      ctx.base = outer;
    }
  }

  private resolve(ref: string, base: JsonSchema): { schema: unknown; doc: JsonSchema; key: string } {
    const hash = ref.indexOf('#');
    const uri = hash < 0 ? ref : ref.slice(0, hash);
    const doc = uri === '' ? base : this.docs.get(uri);
    if (!doc) throw new SampleError(`cannot resolve ${ref}`);
    let node: unknown = doc;
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    for (const raw of fragment.split('/').slice(1)) {
      const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[part] : undefined;
      if (node === undefined) throw new SampleError(`cannot resolve ${ref}`);
    }
    return { schema: node, doc, key: `${String(doc.$id ?? '')}#${fragment}` };
  }

  private optionalAllowed(ctx: Ctx): boolean {
    return ctx.depth < this.optionalDepth && ctx.values < this.optionalBudget;
  }

  private array(schema: JsonSchema, ctx: Ctx): unknown[] {
    const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    const count = Math.min(max, Math.max(min, this.optionalAllowed(ctx) ? 1 : 0));
    const out: unknown[] = [];
    ctx.depth++;
    try {
      for (let k = 0; k < count; k++) out.push(this.value(schema.items ?? {}, ctx));
    } catch (e) {
      if (!(e instanceof SampleError) || min > 0) throw e;
      return []; // the items are optional: an empty array is a sample too
    } finally {
      ctx.depth--;
    }
    return out;
  }

  private number(schema: JsonSchema, integer: boolean): number | string {
    const facets: NumericFacets = { integer, allowString: typesOf(schema)?.includes('string') ?? false };
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const) {
      if (typeof schema[k] === 'number') facets[k] = schema[k] as number;
    }
    const xsd = schema.xsdNumeric ?? schema['x-xsd-numeric'];
    if (isObject(xsd)) facets.xsd = xsd as NumericFacets['xsd'];
    const v = sampleNumeric(facets);
    if (v === undefined) throw new SampleError('no number satisfies the range and digit facets');
    return v;
  }

  private string(schema: JsonSchema): string {
    const patterns = collectPatterns(schema);
    const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    const format = typeof schema.format === 'string' && schema.format.startsWith('xsd-') ? schema.format.slice(4) : undefined;
    const octets = (schema.xsdOctets ?? schema['x-xsd-octets']) as { length?: number; minLength?: number; maxLength?: number } | undefined;
    const regexes = patterns.map((p) => {
      try {
        return new RegExp(p, 'u');
      } catch {
        throw new SampleError(`the pattern ${p} is not a valid regular expression`);
      }
    });
    const fits = (s: string): boolean => {
      const len = [...s].length;
      if (len < minLength || len > maxLength) return false;
      if (!regexes.every((r) => r.test(s))) return false;
      return format === undefined || !isXsdKind(format) || isValidLexical(format, s);
    };
    for (const c of this.stringCandidates(format, octets, minLength, maxLength)) if (fits(c)) return c;
    for (const p of [...patterns].reverse()) {
      const s = safeRegexSample(p, { minLength, maxLength, accept: fits });
      if (s !== undefined) return s;
    }
    throw new SampleError(`no string satisfies ${patterns.length ? `the pattern ${patterns.join(' and ')}` : 'the facets'}${format ? ` and format xsd-${format}` : ''}`);
  }

  private stringCandidates(format: string | undefined, octets: { length?: number; minLength?: number; maxLength?: number } | undefined, minLength: number, maxLength: number): string[] {
    if (format === 'base64Binary' || format === 'hexBinary') {
      const n = octets?.length ?? octets?.minLength ?? Math.min(3, octets?.maxLength ?? 3);
      const bytes = Buffer.from(Array.from({ length: n }, (_, k) => (k * 37 + 1) % 256));
      return [format === 'hexBinary' ? bytes.toString('hex').toUpperCase() : bytes.toString('base64')];
    }
    if (format && FORMAT_SAMPLES[format]) return [FORMAT_SAMPLES[format]];
    const word = 'string';
    const target = Math.min(maxLength, Math.max(minLength, word.length));
    return [word.repeat(Math.ceil(target / word.length) || 1).slice(0, target)];
  }

  private object(schema: JsonSchema, ctx: Ctx): Record<string, unknown> {
    const plan: Plan = { props: new Map(), required: new Set(), forbidden: new Set(), occurs: [] };
    const choices: Part[] = [];
    this.merge({ schema, base: ctx.base }, plan, choices, ctx);
    return this.decide(plan, choices, ctx);
  }

  /** Adds a part's properties to the plan; its xs:choice chains and anyOf/oneOf go to `choices`. */
  private merge(part: Part, plan: Plan, choices: Part[], ctx: Ctx): void {
    const s = part.schema;
    if (s === false) throw new SampleError('nothing is allowed here (false schema)');
    if (!isObject(s)) return;
    if (++ctx.steps > MAX_STEPS) throw new SampleError('the schema is too large to sample');
    if (typeof s.$ref === 'string') {
      const { schema, doc, key } = this.resolve(s.$ref, part.base);
      if (ctx.stack.includes(key)) throw new RecursionStop(`${key} contains itself`);
      ctx.stack.push(key);
      try {
        this.merge({ schema, base: doc }, plan, choices, ctx);
      } finally {
        ctx.stack.pop();
      }
      return;
    }
    if (isObject(s.not) && Object.keys(s.not).length === 0) throw new SampleError('no alternative of a required xs:choice can be sampled');
    if (isObject(s.properties)) {
      for (const [name, p] of Object.entries(s.properties)) {
        if (p === false) plan.forbidden.add(name);
        else if (!plan.props.has(name)) plan.props.set(name, { schema: p, base: part.base });
      }
    }
    if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === 'string') plan.required.add(r);
    const occurs = s.xsdOccurs ?? s['x-xsd-occurs'];
    if (Array.isArray(occurs)) for (const o of occurs) if (isObject(o) && Array.isArray(o.names)) plan.occurs.push(o as unknown as Occurs);
    if (Array.isArray(s.allOf)) for (const m of s.allOf) this.merge({ schema: m, base: part.base }, plan, choices, ctx);
    if (s.if !== undefined && !isNullTest(s.if)) choices.push(part);
    else if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) choices.push(part);
  }

  /** Settles the choices one by one (first branch that samples), then fills the properties in. */
  private decide(plan: Plan, choices: Part[], ctx: Ctx): Record<string, unknown> {
    if (choices.length === 0) return this.fill(plan, ctx);
    const [first, ...rest] = choices;
    const s = first.schema as JsonSchema;
    const alternatives: unknown[][] = Array.isArray(s.anyOf) || Array.isArray(s.oneOf) ? ((s.anyOf ?? s.oneOf) as unknown[]).map((a) => [a]) : [[s.if, s.then], [s.else]];
    let last: SampleError | undefined;
    for (const alt of alternatives) {
      if (++ctx.steps > MAX_STEPS) throw new SampleError('the schema is too large to sample');
      const next: Plan = { props: new Map(plan.props), required: new Set(plan.required), forbidden: new Set(plan.forbidden), occurs: [...plan.occurs] };
      const more = [...rest];
      const valuesBefore = ctx.values;
      try {
        for (const a of alt) if (a !== undefined) this.merge({ schema: a, base: first.base }, next, more, ctx);
        return this.decide(next, more, ctx);
      } catch (e) {
        if (!(e instanceof SampleError)) throw e;
        last = e;
        ctx.values = valuesBefore;
      }
    }
    throw last ?? new SampleError('no alternative of the choice can be sampled');
  }

  private fill(plan: Plan, ctx: Ctx): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    ctx.depth++;
    try {
      for (const name of plan.required) {
        if (plan.forbidden.has(name)) throw new SampleError(`property ${name} is both required and excluded`);
        if (!plan.props.has(name)) out[name] = {}; // required but undeclared: any value is allowed
      }
      for (const [name, p] of plan.props) {
        if (plan.forbidden.has(name)) continue;
        const required = plan.required.has(name);
        if (!required && (name === '$any' || !this.optionalAllowed(ctx))) continue;
        const outer = ctx.base;
        ctx.base = p.base;
        try {
          out[name] = this.value(p.schema, ctx);
        } catch (e) {
          // An optional property that cannot be sampled (or only by recursing) is left out.
          if (!(e instanceof SampleError) || required) throw e;
        } finally {
          ctx.base = outer;
        }
      }
      for (const o of plan.occurs) this.settleOccurs(o, plan, out, ctx);
    } finally {
      ctx.depth--;
    }
    return out;
  }

  /** Brings the elements of a repeating choice's alternatives within its occurrences. */
  private settleOccurs(o: Occurs, plan: Plan, out: Record<string, unknown>, ctx: Ctx): void {
    const count = (): number => o.names.reduce((n, k) => n + (Array.isArray(out[k]) ? (out[k] as unknown[]).length : out[k] === undefined ? 0 : 1), 0);
    const max = o.max ?? Infinity;
    // Too many: the last alternatives give items up first.
    for (let i = o.names.length - 1; i >= 0 && count() > max; i--) {
      const k = o.names[i];
      const v = out[k];
      if (Array.isArray(v)) v.length = Math.max(0, v.length - (count() - max));
      if ((!Array.isArray(v) || v.length === 0) && !plan.required.has(k)) delete out[k];
    }
    // Too few: the first alternatives that can be sampled give items, past the optional depth.
    for (const k of o.names) {
      const p = plan.props.get(k);
      if (!p || plan.forbidden.has(k) || !isObject(p.schema)) continue;
      const ps = p.schema;
      const itemsOf = ps.type === 'array' ? (ps.items ?? {}) : undefined;
      const cap = itemsOf !== undefined && typeof ps.maxItems === 'number' ? ps.maxItems : itemsOf !== undefined ? Infinity : 1;
      const outer = ctx.base;
      ctx.base = p.base;
      try {
        while (count() < o.min) {
          const have = Array.isArray(out[k]) ? (out[k] as unknown[]) : out[k] === undefined ? [] : [out[k]];
          if (have.length >= cap) break;
          const v = this.value(itemsOf ?? ps, ctx);
          out[k] = itemsOf !== undefined ? [...have, v] : v;
        }
      } catch (e) {
        if (!(e instanceof SampleError)) throw e;
      } finally {
        ctx.base = outer;
      }
      if (count() >= o.min) return;
    }
  }
}

interface Part {
  schema: unknown;
  base: JsonSchema;
}

interface Plan {
  props: Map<string, Part>;
  required: Set<string>;
  forbidden: Set<string>;
  /** `xsdOccurs`: how many elements the alternatives of a repeating choice hold together. */
  occurs: Occurs[];
}

interface Occurs {
  names: string[];
  min: number;
  max: number | null;
}

const XSD_KINDS = new Set(['dateTime', 'date', 'time', 'duration', 'gYear', 'gYearMonth', 'gMonth', 'gMonthDay', 'gDay', 'base64Binary', 'hexBinary']);

function isXsdKind(f: string): f is BuiltinKind {
  return XSD_KINDS.has(f);
}

/** `pattern` and the patterns of `allOf` members (several pattern facets, or a built-in's and the facet's). */
function collectPatterns(schema: JsonSchema): string[] {
  const out: string[] = [];
  if (typeof schema.pattern === 'string') out.push(schema.pattern);
  if (Array.isArray(schema.allOf)) for (const m of schema.allOf) if (isObject(m)) out.push(...collectPatterns(m));
  return out;
}

function safeRegexSample(pattern: string, options: Parameters<typeof sampleRegex>[1]): string | undefined {
  try {
    return sampleRegex(pattern, options);
  } catch {
    return undefined; // a pattern this generator does not read: no sample rather than a wrong one
  }
}
