/**
 * JSON Schema (2020-12) for the JSON form of XSD types. One document per bundle with a
 * `$defs` entry per complex type; operations point at their message type's entry.
 * Custom keywords (registered in compile/ajv.ts): `xsdNumeric` (digits and ranges of
 * numeric strings), `xsdOccurs` (how many elements a repeating choice of single elements
 * holds, all alternatives together), formats `xsd-<kind>`, and the annotation `x-xsd-choice`.
 */
import { BUILTINS, decimalToJson, integerToJson } from '../codec/values';
import type { ComplexType, SimpleType, SourcePos, XsdType } from '../model/xsd';
import { shapeOf, type ElementProp, type ShapeChoice, type ShapeGroup, type ShapeOccurs, type TypeShape } from './shape';
import { xsdPatternToJs, XsdRegexError } from './xsd-regex';

export type JsonSchema = Record<string, unknown>;

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const FORMAT_KINDS = new Set(['dateTime', 'date', 'time', 'duration', 'gYear', 'gYearMonth', 'gMonth', 'gMonthDay', 'gDay', 'base64Binary', 'hexBinary']);
const FLOAT_MAX = 3.4028234663852886e38;

export interface SchemaWarning {
  pos: SourcePos;
  message: string;
}

function describe(t: { documentation?: string }, s: JsonSchema): JsonSchema {
  if (t.documentation) s.description = t.documentation;
  return s;
}

/** The JSON value of an enumeration literal for a kind. */
function enumValue(st: SimpleType, literal: string): unknown {
  switch (st.builtin) {
    case 'boolean':
      return literal.trim() === 'true' || literal.trim() === '1';
    case 'int':
      return Number(literal.trim());
    case 'integer':
      return integerToJson(literal.trim());
    case 'decimal':
      return decimalToJson(literal.trim());
    case 'float':
    case 'double': {
      const n = Number(literal.trim());
      return Number.isFinite(n) ? n : literal.trim();
    }
    default:
      return literal;
  }
}

export class JsonSchemaBuilder {
  readonly defs: Record<string, JsonSchema> = {};
  readonly warnings: SchemaWarning[] = [];
  private readonly defNames = new Map<ComplexType, string>();
  private readonly encodedDefNames = new Map<ComplexType, string>();
  /** Whether the entry being built is for an rpc/encoded message (see defFor). */
  private encoded = false;
  private readonly simpleCache = new Map<SimpleType, JsonSchema>();

  constructor(readonly id: string) {}

  /** The whole document, for ajv.addSchema. */
  document(): JsonSchema {
    return { $id: this.id, $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: this.defs };
  }

  /**
   * A `$defs` entry for the complex type (created on first use); returns its name. Types of
   * rpc/encoded messages get their own entries (`encoded`): there xs:anyType holds any JSON
   * value, typed on the wire by xsi:type, where literal messages carry it as text or `$any`.
   */
  defFor(t: ComplexType, hint: string, encoded = this.encoded): string {
    const names = encoded ? this.encodedDefNames : this.defNames;
    const known = names.get(t);
    if (known) return known;
    const base = (t.name?.local ?? hint).replace(/[^A-Za-z0-9_.-]/g, '_') || 'Type';
    let name = base;
    for (let n = 2; this.defs[name] !== undefined; n++) name = `${base}_${n}`;
    names.set(t, name);
    this.defs[name] = {}; // reserve: recursive types refer to it while it is built
    const outer = this.encoded;
    this.encoded = encoded;
    try {
      this.defs[name] = this.complexSchema(t, name);
    } finally {
      this.encoded = outer;
    }
    return name;
  }

  ref(t: ComplexType, hint: string): JsonSchema {
    return { $ref: `#/$defs/${this.defFor(t, hint)}` };
  }

  typeSchema(t: XsdType, hint: string): JsonSchema {
    if (t.kind === 'simple') return this.simpleSchema(t);
    if (t.kind === 'anyType') {
      if (this.encoded) return { description: 'any value (SOAP encoding: typed by its xsi:type)' };
      const s: JsonSchema = { type: ['string', 'object'], properties: { $any: { type: 'string' } } };
      // Read as xs:anyType because the WSDL's reference does not resolve: say so where callers look.
      if (t.unresolved) s.description = `Any text, or XML in $any: the WSDL's ${t.unresolved}`;
      return s;
    }
    const shape = shapeOf(t);
    if (shape.kind === 'scalar') return describe(t, this.simpleSchema(shape.valueType!));
    return this.ref(t, hint);
  }

  private complexSchema(t: ComplexType, name: string): JsonSchema {
    const shape = shapeOf(t);
    if (shape.kind === 'scalar') return describe(t, this.simpleSchema(shape.valueType!));
    if (shape.kind === 'array') {
      const item = shape.item!;
      let items = this.typeSchema(item.type, `${name}Item`);
      if (item.nillable) items = nullable(items);
      return describe(t, { type: 'array', items });
    }
    return describe(t, this.objectSchema(shape, name));
  }

  private objectSchema(shape: TypeShape, name: string): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const a of shape.attrs) {
      properties[a.jsonName] = describe(a.use, withFixed(this.simpleSchema(a.use.type), a.use.type, a.use.fixed));
      if (a.use.required) required.push(a.jsonName);
    }
    if (shape.valueType) {
      properties.$value = this.simpleSchema(shape.valueType);
      const vt = shape.valueType;
      const emptyOk = vt.builtin === 'string' && !vt.facets.minLength && !vt.facets.length && !vt.facets.enumeration && !vt.facets.patterns;
      if (!emptyOk) required.push('$value');
    }
    if (shape.mixed) properties.$value = { type: 'string' };
    const s: JsonSchema = { type: 'object' };
    const allOf = this.fillGroup(shape.root, properties, required, name);
    if (shape.root.occurs) s.xsdOccurs = occursKeyword(shape.root.occurs);
    if (shape.any) properties.$any = { type: 'string', description: 'XML allowed by xs:any, as a string' };
    s.properties = properties;
    if (required.length) s.required = required;
    if (allOf.length) {
      s.allOf = allOf;
      s.unevaluatedProperties = false;
    } else s.additionalProperties = false;
    return s;
  }

  /** Adds a group's properties; returns the schemas of its choices. */
  private fillGroup(g: ShapeGroup, properties: Record<string, JsonSchema>, required: string[], hint: string): JsonSchema[] {
    for (const p of g.props) {
      properties[p.jsonName] = this.elementSchema(p, hint);
      if (p.required) required.push(p.jsonName);
    }
    return g.choices.map((c) => this.choiceSchema(c, hint));
  }

  private groupSchema(g: ShapeGroup, hint: string): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const allOf = this.fillGroup(g, properties, required, hint);
    const s: JsonSchema = { properties };
    if (required.length) s.required = required;
    if (allOf.length) s.allOf = allOf;
    if (g.occurs) s.xsdOccurs = occursKeyword(g.occurs);
    return s;
  }

  /**
   * An xs:choice over flattened properties: the branch whose properties are present decides;
   * properties of other branches are refused; none present is an error unless the choice is optional.
   */
  private choiceSchema(c: ShapeChoice, hint: string): JsonSchema {
    const names = c.branches.map((b) => namesOf(b));
    const all = [...new Set(names.flat())];
    let tail: JsonSchema = c.optional ? {} : { 'x-xsd-choice': all, not: {} };
    for (let i = c.branches.length - 1; i >= 0; i--) {
      const own = new Set(names[i]);
      const then = this.groupSchema(c.branches[i], hint);
      const props = then.properties as Record<string, JsonSchema | boolean>;
      for (const other of all) if (!own.has(other)) props[other] = false;
      const cond: JsonSchema =
        names[i].length === 1 ? { required: [names[i][0]] } : { anyOf: names[i].map((n) => ({ required: [n] })) };
      tail = { if: cond, then, else: tail };
    }
    return tail;
  }

  elementSchema(p: ElementProp, hint: string): JsonSchema {
    let s = this.typeSchema(p.decl.type, p.decl.name.local || hint);
    const st = p.decl.type.kind === 'simple' ? p.decl.type : p.decl.type.kind === 'complex' && shapeOf(p.decl.type).kind === 'scalar' ? shapeOf(p.decl.type).valueType : undefined;
    if (st) s = withFixed(s, st, p.decl.fixed);
    if (p.decl.nillable) s = nullable(s);
    if (p.decl.documentation) s = { ...s, description: p.decl.documentation };
    if (!p.array) return s;
    const arr: JsonSchema = { type: 'array', items: s };
    if (p.required && p.min > 0) arr.minItems = p.min;
    if (p.max !== Infinity) arr.maxItems = p.max;
    return arr;
  }

  simpleSchema(st: SimpleType): JsonSchema {
    const cached = this.simpleCache.get(st);
    if (cached) return cached;
    const s = this.buildSimple(st);
    this.simpleCache.set(st, s);
    return s;
  }

  private buildSimple(st: SimpleType): JsonSchema {
    const f = st.facets;
    if (st.variety === 'list') {
      const item = this.simpleSchema(st.itemType!);
      const s: JsonSchema = { type: 'array', items: item.type === 'string' ? { ...item, pattern: item.pattern ?? '^\\S+$' } : item };
      if (f.length !== undefined) s.minItems = s.maxItems = f.length;
      if (f.minLength !== undefined) s.minItems = f.minLength;
      if (f.maxLength !== undefined) s.maxItems = f.maxLength;
      return describe(st, s);
    }
    if (st.variety === 'union') {
      const s: JsonSchema = { type: 'string' };
      if (f.enumeration) s.enum = f.enumeration;
      // The value is the (collapsed) text: it must be valid for one of the member types.
      else if (st.memberTypes?.length) s.anyOf = st.memberTypes.map((m) => this.unionMember(m));
      return describe(st, s);
    }
    const s: JsonSchema = {};
    const patterns: string[] = [];
    const builtinPattern = BUILTINS[st.builtinName]?.pattern;
    switch (st.builtin) {
      case 'string':
      case 'anyURI':
        s.type = 'string';
        if (builtinPattern) patterns.push(builtinPattern);
        break;
      case 'QName':
        s.type = 'string';
        break;
      case 'anySimpleType':
        s.type = ['string', 'number', 'boolean'];
        break;
      case 'boolean':
        s.type = 'boolean';
        break;
      case 'int':
        s.type = 'integer';
        this.numericRange(s, f, false);
        break;
      case 'integer':
        s.type = ['integer', 'string'];
        patterns.push('^[+-]?[0-9]+$');
        this.numericRange(s, f, true);
        s.xsdNumeric = numericKeyword(f, true);
        break;
      case 'decimal':
        s.type = ['number', 'string'];
        patterns.push('^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$');
        this.numericRange(s, f, false);
        s.xsdNumeric = numericKeyword(f, false);
        break;
      case 'float':
      case 'double':
        s.type = ['number', 'string'];
        patterns.push('^([+-]?INF|NaN)$');
        this.numericRange(s, f, false);
        if (st.builtin === 'float') {
          s.maximum = Math.min((s.maximum as number | undefined) ?? FLOAT_MAX, FLOAT_MAX);
          s.minimum = Math.max((s.minimum as number | undefined) ?? -FLOAT_MAX, -FLOAT_MAX);
        }
        break;
      default:
        s.type = 'string';
        if (FORMAT_KINDS.has(st.builtin)) s.format = `xsd-${st.builtin}`;
        break;
    }
    if (s.type === 'string' || st.builtin === 'QName') {
      if (f.length !== undefined && !['base64Binary', 'hexBinary'].includes(st.builtin)) s.minLength = s.maxLength = f.length;
      if (f.minLength !== undefined && !['base64Binary', 'hexBinary'].includes(st.builtin)) s.minLength = f.minLength;
      if (f.maxLength !== undefined && !['base64Binary', 'hexBinary'].includes(st.builtin)) s.maxLength = f.maxLength;
      if (['base64Binary', 'hexBinary'].includes(st.builtin) && (f.length ?? f.minLength ?? f.maxLength) !== undefined)
        s.xsdOctets = { length: f.length, minLength: f.minLength, maxLength: f.maxLength, kind: st.builtin };
    }
    for (const step of f.patterns ?? []) {
      try {
        const alts = step.map((p) => xsdPatternToJs(p));
        patterns.push(alts.length === 1 ? alts[0] : alts.map((a) => `(?:${a})`).join('|'));
      } catch (e) {
        if (!(e instanceof XsdRegexError)) throw e;
        this.warnings.push({
          pos: st.pos ?? { file: '', line: 0, col: 0 },
          message: `pattern ${JSON.stringify(step.join('|'))} is not checked on the fast path: ${e.message}`,
        });
      }
    }
    if (patterns.length === 1) s.pattern = patterns[0];
    else if (patterns.length > 1) s.allOf = patterns.map((p) => ({ pattern: p }));
    if (f.enumeration) s.enum = [...new Set(f.enumeration.map((v) => enumValue(st, v)))];
    return describe(st, s);
  }

  /** A union member's rules on the union's value, which is always a string in JSON. */
  private unionMember(m: SimpleType): JsonSchema {
    if (m.variety === 'union') return m.memberTypes?.length ? { anyOf: m.memberTypes.map((x) => this.unionMember(x)) } : {};
    if (m.variety === 'list') return {};
    const own = this.simpleSchema(m);
    if (own.type === 'string') return own;
    const f = m.facets;
    if (f.enumeration) return { enum: [...new Set(f.enumeration.map((v) => v.trim()))] };
    const lexical: Partial<Record<string, string>> = {
      boolean: '^(true|false|1|0)$',
      int: '^[+-]?[0-9]+$',
      integer: '^[+-]?[0-9]+$',
      decimal: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$',
      float: '^([+-]?INF|NaN|[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?)$',
      double: '^([+-]?INF|NaN|[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?)$',
    };
    const pattern = lexical[m.builtin];
    if (!pattern) return {};
    const s: JsonSchema = { pattern };
    if (m.builtin === 'int' || m.builtin === 'integer' || m.builtin === 'decimal') {
      const integer = m.builtin !== 'decimal';
      const b = BUILTINS[m.builtinName];
      const k = numericKeyword({ minInclusive: b?.minInclusive, maxInclusive: b?.maxInclusive, ...f }, integer);
      if (Object.keys(k).length > 1) s.xsdNumeric = k;
    }
    return s;
  }

  private numericRange(s: JsonSchema, f: SimpleType['facets'], safeOnly: boolean): void {
    const num = (v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      return Number.isFinite(n) ? n : undefined;
    };
    const min = num(f.minInclusive);
    const max = num(f.maxInclusive);
    const xmin = num(f.minExclusive);
    const xmax = num(f.maxExclusive);
    if (min !== undefined) s.minimum = min;
    if (max !== undefined) s.maximum = max;
    if (xmin !== undefined) s.exclusiveMinimum = xmin;
    if (xmax !== undefined) s.exclusiveMaximum = xmax;
    if (safeOnly) {
      // Integers beyond 2^53 lose digits as JSON numbers: they must come as strings.
      s.minimum = Math.max((s.minimum as number | undefined) ?? -MAX_SAFE, -MAX_SAFE);
      s.maximum = Math.min((s.maximum as number | undefined) ?? MAX_SAFE, MAX_SAFE);
    }
  }
}

function numericKeyword(f: SimpleType['facets'], integer: boolean): JsonSchema {
  const k: JsonSchema = { integer };
  for (const key of ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive', 'totalDigits', 'fractionDigits'] as const) {
    if (f[key] !== undefined) k[key] = f[key];
  }
  return k;
}

/** An attribute's or element's `fixed` value: the only one allowed. */
function withFixed(s: JsonSchema, st: SimpleType, fixed: string | undefined): JsonSchema {
  if (fixed === undefined || st.variety !== 'atomic') return s;
  const ws = st.facets.whiteSpace ?? (st.builtin === 'string' ? 'preserve' : 'collapse');
  const literal = ws === 'preserve' ? fixed : ws === 'replace' ? fixed.replace(/[\t\n\r]/g, ' ') : fixed.replace(/[\t\n\r ]+/g, ' ').trim();
  return { ...s, const: enumValue(st, literal) };
}

/** A schema that also accepts null (xsi:nil). */
export function nullable(s: JsonSchema): JsonSchema {
  if (s.$ref !== undefined || s.type === undefined) return { if: { type: 'null' }, else: s };
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const out: JsonSchema = { ...s, type: [...types, 'null'] };
  if (Array.isArray(s.enum)) out.enum = [...s.enum, null];
  return out;
}

/** The `xsdOccurs` keyword: JSON has no Infinity, an unbounded maximum is null. */
function occursKeyword(list: ShapeOccurs[]): JsonSchema[] {
  return list.map((o) => ({ names: o.names, min: o.min, max: o.max === Infinity ? null : o.max }));
}

function namesOf(g: ShapeGroup): string[] {
  return [...g.props.map((p) => p.jsonName), ...g.choices.flatMap((c) => c.branches.flatMap(namesOf))];
}
