/**
 * The JSON <-> XML codec, compiled per type at load time. Encoders write XML text straight
 * from JSON in schema order (no DOM); decoders turn the reader's element tree into JSON,
 * knowing which elements repeat and how each value is typed. Both follow the shapes of
 * compile/shape.ts, the same ones the JSON Schemas are built from.
 */
import { decimalToJson, integerToJson, isValidLexical, LEXICAL, normalizeWhitespace, numericToText } from '../codec/values';
import type { ComplexType, ElementDecl, Particle, QName, SimpleType, XsdType } from '../model/xsd';
import { escapeAttr, escapeText } from '../xml/escape';
import { attrOf, outerXml, resolveQNameIn, XML_NS, type XElem } from '../xml/reader';
import { shapeOf, wildcardAdmits, type ElementProp, type TypeShape } from './shape';
import { XSD_NS } from '../xml/source';

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export interface Violation {
  pointer: string;
  detail: string;
}

/** Decoding state for one message: the source text (for xs:any) and the problems found. */
export interface DecodeContext {
  src: string;
  errors: Violation[];
}

export type ElementEncoder = (value: unknown) => string;
export type ElementDecoder = (el: XElem, ctx: DecodeContext, path: string) => unknown;
type ContentEncoder = (tag: string, value: unknown) => string;

class DecodeFailure extends Error {}

const MAX_ERRORS = 100;

function report(ctx: DecodeContext, pointer: string, detail: string): void {
  if (ctx.errors.length < MAX_ERRORS) ctx.errors.push({ pointer, detail });
}

export function escapePointer(key: string): string {
  return key.indexOf('~') >= 0 || key.indexOf('/') >= 0 ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/** Prefixes for the namespaces a bundle writes: stable for the bundle's lifetime. */
export class NamespaceTable {
  private readonly prefixes = new Map<string, string>();

  constructor(preferred: Map<string, string> = new Map()) {
    const used = new Set<string>(['soap', 'xsi', 'xsd', 'xml', 'xmlns', 'soapenc']);
    for (const [ns, prefix] of preferred) {
      if (ns && !used.has(prefix) && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(prefix) && !/^xml/i.test(prefix)) {
        this.prefixes.set(ns, prefix);
        used.add(prefix);
      }
    }
    this.used = used;
  }

  private readonly used: Set<string>;

  prefix(ns: string): string {
    if (ns === XML_NS) return 'xml';
    let p = this.prefixes.get(ns);
    if (p) return p;
    for (let n = this.prefixes.size + 1; ; n++) {
      p = `ns${n}`;
      if (!this.used.has(p)) break;
    }
    this.prefixes.set(ns, p);
    this.used.add(p);
    return p;
  }

  tag(q: QName): string {
    return q.ns ? `${this.prefix(q.ns)}:${q.local}` : q.local;
  }

  /** ` xmlns:p="ns"` for each namespace. */
  declarations(namespaces: Iterable<string>): string {
    let s = '';
    for (const ns of namespaces) if (ns && ns !== XML_NS) s += ` xmlns:${this.prefix(ns)}="${escapeAttr(ns)}"`;
    return s;
  }
}

export class Codec {
  private readonly encoders = new Map<ComplexType, ContentEncoder>();
  private readonly decoders = new Map<ComplexType, ElementDecoder>();
  private readonly simpleEncoders = new Map<SimpleType, (v: unknown) => string>();
  private readonly simpleDecoders = new Map<SimpleType, (text: string) => unknown>();

  constructor(
    readonly ns: NamespaceTable,
    /** The built-in simple type named by an xsi:type in the XSD namespace. */
    private readonly builtin: (local: string) => SimpleType | undefined,
  ) {}

  // ---- simple values -----------------------------------------------------------------

  /** JSON value -> lexical text (not yet escaped). */
  simpleToText(st: SimpleType): (v: unknown) => string {
    let f = this.simpleEncoders.get(st);
    if (f) return f;
    if (st.variety === 'list') {
      const item = this.simpleToText(st.itemType!);
      f = (v) => (Array.isArray(v) ? v.map(item).join(' ') : item(v));
    } else {
      const kind = st.builtin;
      switch (kind) {
        case 'boolean':
          f = (v) => (v ? 'true' : 'false');
          break;
        case 'int':
        case 'integer':
        case 'decimal':
        case 'float':
        case 'double':
          f = (v) => numericToText(kind, v as number | string);
          break;
        default:
          f = (v) => (typeof v === 'string' ? v : String(v));
      }
    }
    this.simpleEncoders.set(st, f);
    return f;
  }

  /** Lexical text -> JSON value; throws DecodeFailure with a message naming the type. */
  textToSimple(st: SimpleType): (text: string) => unknown {
    let f = this.simpleDecoders.get(st);
    if (f) return f;
    if (st.variety === 'list') {
      const item = this.textToSimple(st.itemType!);
      f = (text) => {
        const t = normalizeWhitespace(text, 'collapse');
        return t === '' ? [] : t.split(' ').map(item);
      };
    } else if (st.variety === 'union') {
      f = (text) => normalizeWhitespace(text, 'collapse');
    } else {
      const kind = st.builtin;
      const ws = st.facets.whiteSpace ?? (kind === 'string' || kind === 'anySimpleType' ? 'preserve' : 'collapse');
      const label = `xs:${st.builtinName}`;
      const lexical = LEXICAL[kind];
      const bad = (): never => {
        throw new DecodeFailure(`is not a valid ${label}`);
      };
      switch (kind) {
        case 'boolean':
          f = (text) => {
            const t = normalizeWhitespace(text, 'collapse');
            return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : bad();
          };
          break;
        case 'int':
          f = (text) => {
            const t = normalizeWhitespace(text, 'collapse');
            return lexical!.test(t) ? Number(t) : bad();
          };
          break;
        case 'integer':
          f = (text) => {
            const t = normalizeWhitespace(text, 'collapse');
            return lexical!.test(t) ? integerToJson(t) : bad();
          };
          break;
        case 'decimal':
          f = (text) => {
            const t = normalizeWhitespace(text, 'collapse');
            return lexical!.test(t) ? decimalToJson(t) : bad();
          };
          break;
        case 'float':
        case 'double':
          f = (text) => {
            const t = normalizeWhitespace(text, 'collapse');
            if (!lexical!.test(t)) return bad();
            if (t.endsWith('INF') || t === 'NaN') return t === '+INF' ? 'INF' : t;
            return Number(t);
          };
          break;
        case 'string':
        case 'anyURI':
        case 'anySimpleType':
        case 'QName':
          f = ws === 'preserve' ? (text) => text : (text) => normalizeWhitespace(text, ws);
          break;
        default:
          f = (text) => {
            const t = normalizeWhitespace(text, 'collapse');
            return isValidLexical(kind, t) ? t : bad();
          };
      }
    }
    this.simpleDecoders.set(st, f);
    return f;
  }

  // ---- encoding ------------------------------------------------------------------------

  /** Writes one element (with its tag) for a JSON value; `null` becomes xsi:nil. */
  elementEncoder(decl: ElementDecl): ElementEncoder {
    const tag = this.ns.tag(decl.name);
    const nil = `<${tag} xsi:nil="true"/>`;
    const t = decl.type;
    if (t.kind === 'simple') {
      const toText = this.simpleToText(t);
      const open = `<${tag}>`;
      const close = `</${tag}>`;
      return (v) => (v === null ? nil : open + escapeText(toText(v)) + close);
    }
    if (t.kind === 'anyType') {
      return (v) => {
        if (v === null) return nil;
        if (typeof v === 'object') {
          const any = (v as Record<string, unknown>).$any;
          return typeof any === 'string' && any !== '' ? `<${tag}>${any}</${tag}>` : `<${tag}/>`;
        }
        return `<${tag}>${escapeText(String(v))}</${tag}>`;
      };
    }
    const content = this.contentEncoder(t);
    return (v) => (v === null ? nil : content(tag, v));
  }

  /** The encoder for an element of complex type `t`, given its tag. Built once per type. */
  contentEncoder(t: ComplexType): ContentEncoder {
    const known = this.encoders.get(t);
    if (known) return known;
    let impl: ContentEncoder | undefined;
    const lazy: ContentEncoder = (tag, v) => impl!(tag, v);
    this.encoders.set(t, lazy);
    impl = this.buildContentEncoder(t);
    this.encoders.set(t, impl);
    return impl;
  }

  private buildContentEncoder(t: ComplexType): ContentEncoder {
    const shape = shapeOf(t);
    if (shape.kind === 'scalar') {
      const toText = this.simpleToText(shape.valueType!);
      return (tag, v) => `<${tag}>${escapeText(toText(v))}</${tag}>`;
    }
    const attrs = shape.attrs.map((a) => ({ name: a.jsonName, prefix: ` ${this.ns.tag(a.use.name)}="`, toText: this.simpleToText(a.use.type) }));
    const valueText = shape.valueType ? this.simpleToText(shape.valueType) : undefined;
    const mixed = shape.mixed;
    const body = t.content.kind === 'elements' ? this.particleEncoder(t.content.particle, shape, new Set()) : undefined;
    return (tag, value) => {
      const obj = value as Record<string, unknown>;
      let s = '<' + tag;
      for (let i = 0; i < attrs.length; i++) {
        const a = attrs[i];
        const v = obj[a.name];
        if (v !== undefined && v !== null) s += a.prefix + escapeAttr(a.toText(v)) + '"';
      }
      let inner = '';
      if (valueText) {
        const v = obj.$value;
        if (v !== undefined && v !== null) inner = escapeText(valueText(v));
      } else {
        if (mixed && typeof obj.$value === 'string') inner = escapeText(obj.$value);
        if (body) inner += body(obj);
      }
      return inner === '' ? s + '/>' : s + '>' + inner + '</' + tag + '>';
    };
  }

  /** Writes only the element content of `t` (no enclosing tag): a bare message's Body content. */
  innerEncoder(t: ComplexType): (obj: Record<string, unknown>) => string {
    const shape = shapeOf(t);
    if (t.content.kind !== 'elements') return () => '';
    return this.particleEncoder(t.content.particle, shape, new Set());
  }

  /** Writes the elements of a particle from the flattened JSON object, in schema order. */
  private particleEncoder(p: Particle, shape: TypeShape, written: Set<string>): (obj: Record<string, unknown>) => string {
    switch (p.kind) {
      case 'element': {
        const name = p.jsonName ?? p.decl.name.local;
        if (written.has(name)) return () => '';
        written.add(name);
        const prop = shape.elements.find((e) => e.jsonName === name)!;
        const enc = this.elementEncoder(p.decl);
        if (prop.array) {
          return (obj) => {
            const list = obj[name];
            if (!Array.isArray(list)) return list === undefined ? '' : enc(list);
            let s = '';
            for (let i = 0; i < list.length; i++) s += enc(list[i]);
            return s;
          };
        }
        return (obj) => {
          const v = obj[name];
          return v === undefined ? '' : enc(v);
        };
      }
      case 'any': {
        if (written.has('$any')) return () => '';
        written.add('$any');
        return (obj) => (typeof obj.$any === 'string' ? obj.$any : '');
      }
      default: {
        const interleave = p.kind === 'sequence' && p.max > 1 && p.items.length > 1 && p.items.every((i) => i.kind === 'element' && i.max === 1);
        if (interleave) {
          // A repeating sequence of single elements: item i of each array forms occurrence i.
          const cols = p.items.map((i) => {
            const el = i as Particle & { kind: 'element' };
            const name = el.jsonName ?? el.decl.name.local;
            const fresh = !written.has(name);
            written.add(name);
            return { name, enc: this.elementEncoder(el.decl), fresh };
          });
          return (obj) => {
            let n = 0;
            for (const c of cols) {
              const v = obj[c.name];
              if (c.fresh && Array.isArray(v) && v.length > n) n = v.length;
            }
            let s = '';
            for (let i = 0; i < n; i++) {
              for (const c of cols) {
                if (!c.fresh) continue;
                const v = obj[c.name] as unknown[] | undefined;
                if (v && i < v.length) s += c.enc(v[i]);
              }
            }
            return s;
          };
        }
        const parts = p.items.map((i) => this.particleEncoder(i, shape, written));
        if (parts.length === 1) return parts[0];
        return (obj) => {
          let s = '';
          for (let i = 0; i < parts.length; i++) s += parts[i](obj);
          return s;
        };
      }
    }
  }

  // ---- decoding ------------------------------------------------------------------------

  elementDecoder(decl: ElementDecl): ElementDecoder {
    const t = decl.type;
    const nillable = decl.nillable;
    const inner = this.valueDecoder(t);
    return (el, ctx, path) => {
      const nil = el.attrs.length > 0 ? attrOf(el, XSI_NS, 'nil') : undefined;
      if (nil !== undefined && (nil.trim() === 'true' || nil.trim() === '1')) {
        if (!nillable) report(ctx, path, 'has xsi:nil but the element is not nillable');
        if (el.children.length > 0 || el.text.trim() !== '') report(ctx, path, 'has xsi:nil and content');
        return null;
      }
      return inner(el, ctx, path);
    };
  }

  private valueDecoder(t: XsdType): ElementDecoder {
    if (t.kind === 'simple') {
      const dec = this.textToSimple(t);
      return (el, ctx, path) => {
        if (el.children.length > 0) report(ctx, path, 'must have simple content, found child elements');
        try {
          return dec(el.text);
        } catch (e) {
          if (e instanceof DecodeFailure) report(ctx, path, e.message);
          else throw e;
          return undefined;
        }
      };
    }
    if (t.kind === 'anyType') return (el, ctx) => this.decodeAnyType(el, ctx);
    return this.complexDecoder(t);
  }

  /** xs:anyType: text when there are no child elements (typed by xsi:type when given), else `$any`. */
  private decodeAnyType(el: XElem, ctx: DecodeContext): unknown {
    if (el.children.length === 0) {
      const xt = attrOf(el, XSI_NS, 'type');
      const q = xt ? resolveQNameIn(el, xt) : undefined;
      if (q && q.ns === XSD_NS) {
        const simple = this.builtin(q.local);
        if (simple) {
          try {
            return this.textToSimple(simple)(el.text);
          } catch {
            return el.text;
          }
        }
      }
      return el.text;
    }
    let any = '';
    for (const c of el.children) any += outerXml(ctx.src, c);
    return { $any: any };
  }

  complexDecoder(t: ComplexType): ElementDecoder {
    const known = this.decoders.get(t);
    if (known) return known;
    let impl: ElementDecoder | undefined;
    this.decoders.set(t, (el, ctx, path) => impl!(el, ctx, path));
    impl = this.buildComplexDecoder(t);
    this.decoders.set(t, impl);
    return impl;
  }

  private buildComplexDecoder(t: ComplexType): ElementDecoder {
    const shape = shapeOf(t);
    const attrs = shape.attrs.map((a) => ({ name: a.jsonName, ns: a.use.name.ns, local: a.use.name.local, dec: this.textToSimple(a.use.type) }));
    const anyAttribute = t.anyAttribute;
    const ignoreAttributes = t.synthetic !== undefined;
    const value = shape.valueType ? this.textToSimple(shape.valueType) : undefined;
    const scalar = shape.kind === 'scalar';
    const props = shape.elements;
    const byLocal = new Map<string, { prop: ElementProp; dec: ElementDecoder; ptr: string }[]>();
    for (const prop of props) {
      const entry = { prop, dec: this.elementDecoder(prop.decl), ptr: `/${escapePointer(prop.jsonName)}` };
      const list = byLocal.get(prop.decl.name.local);
      if (list) list.push(entry);
      else byLocal.set(prop.decl.name.local, [entry]);
    }
    // rpc part accessors are unqualified by the rules, but servers differ: match them by local name.
    const anyNs = t.synthetic === 'rpc';
    const wildcards = shape.any;
    const mixed = shape.mixed;
    const hasElements = t.content.kind === 'elements';

    return (el, ctx, path) => {
      // Attributes, in schema order.
      const out: Record<string, unknown> = {};
      let matched = 0;
      if (!ignoreAttributes) {
        for (let i = 0; i < attrs.length; i++) {
          const a = attrs[i];
          const raw = attrOf(el, a.ns, a.local);
          if (raw === undefined) continue;
          matched++;
          try {
            out[a.name] = a.dec(raw);
          } catch (e) {
            if (!(e instanceof DecodeFailure)) throw e;
            report(ctx, `${path}/${escapePointer(a.name)}`, e.message);
          }
        }
        if (matched < el.attrs.length && !anyAttribute) {
          for (const a of el.attrs) {
            if (a.ns === XSI_NS || attrs.some((x) => x.ns === a.ns && x.local === a.local)) continue;
            report(ctx, path, `unexpected attribute ${a.qname}`);
          }
        }
      }
      if (scalar || value) {
        if (el.children.length > 0) report(ctx, path, 'must have simple content, found child elements');
        let v: unknown;
        try {
          v = value!(el.text);
        } catch (e) {
          if (!(e instanceof DecodeFailure)) throw e;
          report(ctx, scalar ? path : `${path}/$value`, e.message);
        }
        if (scalar) return v;
        if (v !== undefined) out.$value = v;
        return out;
      }
      // Element content.
      const slots: unknown[] = new Array(props.length);
      let any: string | undefined;
      const children = el.children;
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        const candidates = byLocal.get(child.local);
        let hit: { prop: ElementProp; dec: ElementDecoder; ptr: string } | undefined;
        if (candidates) {
          for (const c of candidates) {
            if (anyNs || c.prop.decl.name.ns === child.ns) {
              hit = c;
              break;
            }
          }
        }
        if (!hit) {
          if (wildcards && wildcardAdmits(wildcards, child.ns)) any = (any ?? '') + outerXml(ctx.src, child);
          else report(ctx, path, `unexpected element ${child.ns ? `{${child.ns}}` : ''}${child.local}`);
          continue;
        }
        const prop = hit.prop;
        if (prop.array) {
          let list = slots[prop.index] as unknown[] | undefined;
          if (!list) slots[prop.index] = list = [];
          list.push(hit.dec(child, ctx, `${path}${hit.ptr}/${list.length}`));
        } else if (slots[prop.index] !== undefined) {
          report(ctx, path + hit.ptr, 'occurs more than once but is not repeatable');
        } else {
          const v = hit.dec(child, ctx, path + hit.ptr);
          slots[prop.index] = v === undefined ? null : v;
        }
      }
      if (!mixed && hasElements && el.text.length > 0 && /\S/.test(el.text)) report(ctx, path, 'has text where only elements are allowed');
      if (!hasElements && /\S/.test(el.text)) report(ctx, path, 'must be empty (found text)');
      for (let i = 0; i < props.length; i++) {
        const prop = props[i];
        const v = slots[i];
        if (v !== undefined) out[prop.jsonName] = v;
        else if (prop.array && !prop.inChoice) out[prop.jsonName] = [];
      }
      if (mixed) out.$value = el.text;
      if (any !== undefined) out.$any = any;
      return out;
    };
  }
}
