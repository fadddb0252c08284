/**
 * Decoders, compiled per type at load time. They drive the XML tokenizer directly (no tree):
 * each complex type gets a generated function with a `switch` over its child element names,
 * knowing which repeat, their namespaces and how each value is typed, and it builds the JSON
 * object in schema order. Problems are collected with their JSON Pointer, the decode goes on.
 */
import type { ComplexType, ElementDecl, SimpleType, XsdType } from '../model/xsd';
import { END, isBlank, NO_ATTRS, START, TEXT, type XAttr, type XmlStream } from '../xml/stream';
import { XSD_NS } from '../xml/source';
import { DecodeFailure, escapePointer, XSI_NS, type SimpleCodecs, type Violation } from './codec';
import { shapeOf, wildcardAdmits } from './shape';

/** Problems of one message, and where the decoder is (a stack of pointer segments). */
export interface DecodeContext {
  errors: Violation[];
  path: (string | number)[];
}

/** Decodes the element whose start tag the stream has just returned (content and end tag included). */
export type StreamDecoder = (s: XmlStream, ctx: DecodeContext) => unknown;

const MAX_ERRORS = 100;

export function newContext(): DecodeContext {
  return { errors: [], path: [] };
}

function pointer(ctx: DecodeContext, seg?: string): string {
  const base = ctx.path.length === 0 ? '' : `/${ctx.path.join('/')}`;
  return seg === undefined ? base : `${base}/${seg}`;
}

function report(ctx: DecodeContext, detail: string, seg?: string): void {
  if (ctx.errors.length < MAX_ERRORS) ctx.errors.push({ pointer: pointer(ctx, seg), detail });
}

/** After START: the text content of an element of simple type; child elements are reported and skipped. */
function readSimple(s: XmlStream, ctx: DecodeContext, seg?: string): string {
  const fast = s.leafText();
  if (fast !== undefined) return fast;
  let text = '';
  for (;;) {
    const t = s.next();
    if (t === END) return text;
    if (t === TEXT) text += s.text;
    else {
      report(ctx, 'must have simple content, found child elements', seg);
      s.skipElement();
    }
  }
}

/** After START of an element with xsi:nil: its (empty) content; null. */
function readNil(s: XmlStream, ctx: DecodeContext, nillable: boolean, seg?: string): null {
  if (!nillable) report(ctx, 'has xsi:nil but the element is not nillable', seg);
  for (let t = s.next(); t !== END; t = s.next()) {
    if (t === START) s.skipElement();
    if (t === START || !isBlank(s.text)) report(ctx, 'has xsi:nil and content', seg);
  }
  return null;
}

function isNil(s: XmlStream): boolean {
  if (s.attrs === NO_ATTRS) return false;
  const v = s.attr(XSI_NS, 'nil');
  return v !== undefined && (v.trim() === 'true' || v.trim() === '1');
}

function unexpectedAttributes(s: XmlStream, ctx: DecodeContext, known: (a: XAttr) => boolean): void {
  for (const a of s.attrs) if (a.ns !== XSI_NS && !known(a)) report(ctx, `unexpected attribute ${a.qname}`);
}

/** Helpers the generated decoders call. */
const H = {
  NO_ATTRS,
  XSI_NS,
  END,
  TEXT,
  isBlank,
  report,
  admits: wildcardAdmits,
  unexpectedAttr(ctx: DecodeContext, a: XAttr): void {
    if (a.ns !== XSI_NS) report(ctx, `unexpected attribute ${a.qname}`);
  },
  unexpectedElement(s: XmlStream, ctx: DecodeContext): void {
    report(ctx, `unexpected element ${s.ns ? `{${s.ns}}` : ''}${s.local}`);
    s.skipElement();
  },
  /** An abstract element, or an element of an abstract type: never valid as such (a member of its substitution group, when it has one, is read in its place; xsi:type is not modelled). */
  abstract(s: XmlStream, ctx: DecodeContext, seg: string, detail: string): void {
    report(ctx, detail, seg);
    s.skipElement();
  },
  duplicate(s: XmlStream, ctx: DecodeContext, seg: string): void {
    report(ctx, 'occurs more than once but is not repeatable', seg);
    s.skipElement();
  },
  /**
   * An element of simple type (the common leaf), decoded without a decoder of its own:
   * `seg` (and `index`, for an array item, else -1) name it in problems.
   */
  leaf(s: XmlStream, ctx: DecodeContext, conv: (text: string) => unknown, seg: string, index: number, nillable: boolean): unknown {
    const at = index < 0 ? seg : `${seg}/${index}`;
    if (s.attrs !== NO_ATTRS) {
      if (isNil(s)) return readNil(s, ctx, nillable, at);
      for (const a of s.attrs) if (a.ns !== XSI_NS) report(ctx, `unexpected attribute ${a.qname}`, at);
    }
    const text = readSimple(s, ctx, at);
    try {
      return conv(text);
    } catch (e) {
      if (!(e instanceof DecodeFailure)) throw e;
      report(ctx, e.message, at);
      return null;
    }
  },
  attr(dec: (text: string) => unknown, value: string, ctx: DecodeContext, seg: string): unknown {
    try {
      return dec(value);
    } catch (e) {
      if (!(e instanceof DecodeFailure)) throw e;
      report(ctx, e.message, seg);
      return undefined;
    }
  },
};

const lit = (v: string): string => JSON.stringify(v);

/** The simple type of an element read as a leaf: a simple type, or a complex one with simple content and no attributes. */
function leafType(t: XsdType): SimpleType | undefined {
  if (t.kind === 'simple') return t;
  if (t.kind === 'complex') {
    const shape = shapeOf(t);
    if (shape.kind === 'scalar' && !t.anyAttribute) return shape.valueType;
  }
  return undefined;
}

export class Decoders {
  private readonly complex = new Map<ComplexType, StreamDecoder>();

  constructor(
    private readonly simple: SimpleCodecs,
    /** The built-in simple type named by an xsi:type in the XSD namespace. */
    private readonly builtin: (local: string) => SimpleType | undefined,
  ) {}

  /** An element of the declaration: xsi:nil gives null (refused unless nillable), else its type. */
  element(decl: ElementDecl): StreamDecoder {
    const inner = this.value(decl.type);
    const nillable = decl.nillable;
    return (s, ctx) => (isNil(s) ? readNil(s, ctx, nillable) : inner(s, ctx));
  }

  private value(t: XsdType): StreamDecoder {
    if (t.kind === 'simple') {
      const dec = this.simple.textToSimple(t);
      return (s, ctx) => {
        if (s.attrs !== NO_ATTRS) unexpectedAttributes(s, ctx, () => false);
        const text = readSimple(s, ctx);
        try {
          return dec(text);
        } catch (e) {
          if (!(e instanceof DecodeFailure)) throw e;
          report(ctx, e.message);
          return undefined;
        }
      };
    }
    if (t.kind === 'anyType') return (s) => this.anyType(s);
    return this.complexType(t);
  }

  /** xs:anyType: text when there are no child elements (typed by xsi:type when given), else `$any`. */
  private anyType(s: XmlStream): unknown {
    const xt = s.attr(XSI_NS, 'type');
    let simple: SimpleType | undefined;
    if (xt) {
      const colon = xt.indexOf(':');
      if (s.lookup(colon < 0 ? '' : xt.slice(0, colon).trim()) === XSD_NS) simple = this.builtin(xt.slice(colon + 1).trim());
    }
    let text = '';
    let any = '';
    for (let t = s.next(); t !== END; t = s.next()) {
      if (t === TEXT) text += s.text;
      else any += s.captureElement();
    }
    if (any) return { $any: any };
    if (simple) {
      try {
        return this.simple.textToSimple(simple)(text);
      } catch {
        return text;
      }
    }
    return text;
  }

  /** The decoder of a complex type, built once (recursive types refer to it while it is built). */
  complexType(t: ComplexType): StreamDecoder {
    const known = this.complex.get(t);
    if (known) return known;
    let impl: StreamDecoder | undefined;
    this.complex.set(t, (s, ctx) => impl!(s, ctx));
    const kind = shapeOf(t).kind;
    impl = kind === 'array' ? this.soapArray(t) : kind === 'scalar' || t.content.kind === 'simple' ? this.simpleContent(t) : this.generate(t);
    this.complex.set(t, impl);
    return impl;
  }

  /** A soapenc:Array type in a literal message: every child element is an item, whatever its name. */
  private soapArray(t: ComplexType): StreamDecoder {
    const item = this.element(shapeOf(t).item!);
    return (s, ctx) => {
      const out: unknown[] = [];
      for (let k = s.next(); k !== END; k = s.next()) {
        if (k === TEXT) {
          if (!isBlank(s.text)) report(ctx, 'has text where only elements are allowed');
          continue;
        }
        ctx.path.push(out.length);
        const v = item(s, ctx);
        ctx.path.pop();
        out.push(v === undefined ? null : v);
      }
      return out;
    };
  }

  /** Simple content, with or without attributes (`$value`). */
  private simpleContent(t: ComplexType): StreamDecoder {
    const shape = shapeOf(t);
    const attrs = shape.attrs.map((a) => ({ name: a.jsonName, seg: escapePointer(a.jsonName), ns: a.use.name.ns, local: a.use.name.local, dec: this.simple.textToSimple(a.use.type) }));
    const dec = this.simple.textToSimple(shape.valueType!);
    const scalar = shape.kind === 'scalar';
    const anyAttribute = t.anyAttribute;
    return (s, ctx) => {
      const out: Record<string, unknown> = {};
      if (s.attrs !== NO_ATTRS) {
        for (const a of attrs) {
          const raw = s.attr(a.ns, a.local);
          if (raw !== undefined) out[a.name] = H.attr(a.dec, raw, ctx, a.seg);
        }
        if (!anyAttribute) unexpectedAttributes(s, ctx, (x) => attrs.some((a) => a.ns === x.ns && a.local === x.local));
      }
      const text = readSimple(s, ctx);
      let v: unknown;
      try {
        v = dec(text);
      } catch (e) {
        if (!(e instanceof DecodeFailure)) throw e;
        report(ctx, e.message, scalar ? undefined : '$value');
      }
      if (scalar) return v;
      if (v !== undefined) out.$value = v;
      return out;
    };
  }

  /**
   * Element content: generates `function (s, ctx)` with one variable per property, a switch
   * over child names, and the object assembled in schema order at the end.
   */
  private generate(t: ComplexType): StreamDecoder {
    const shape = shapeOf(t);
    const ignoreAttributes = t.synthetic !== undefined;
    // rpc part accessors are unqualified by the rules, but servers differ: match them by local name.
    const anyNs = t.synthetic === 'rpc';
    const A: ((text: string) => unknown)[] = [];
    const D: StreamDecoder[] = [];
    const code: string[] = [];

    // Attributes.
    const anyAttrNs = t.anyAttribute ? t.anyAttributeNamespaces : undefined;
    if (!ignoreAttributes && (shape.attrs.length > 0 || !t.anyAttribute || anyAttrNs)) {
      shape.attrs.forEach((a, i) => {
        A.push(this.simple.textToSimple(a.use.type));
        code.push(`let a${i};`);
      });
      const byLocal = new Map<string, number[]>();
      shape.attrs.forEach((a, i) => byLocal.set(a.use.name.local, [...(byLocal.get(a.use.name.local) ?? []), i]));
      code.push('const attrs = s.attrs;', 'if (attrs !== H.NO_ATTRS) for (let i = 0; i < attrs.length; i++) {', 'const a = attrs[i];');
      if (byLocal.size > 0) {
        code.push('switch (a.local) {');
        for (const [local, idx] of byLocal) {
          code.push(`case ${lit(local)}:`);
          for (const i of idx) {
            const a = shape.attrs[i];
            code.push(`if (a.ns === ${lit(a.use.name.ns)}) { a${i} = H.attr(A[${i}], a.value, ctx, ${lit(escapePointer(a.jsonName))}); continue; }`);
          }
          code.push('break;');
        }
        code.push('}');
      }
      if (!t.anyAttribute) code.push('H.unexpectedAttr(ctx, a);');
      else if (anyAttrNs) code.push('if (!H.admits(WA, a.ns)) H.unexpectedAttr(ctx, a);');
      code.push('}');
    }

    // Child elements.
    const props = shape.elements;
    // Leaves (simple types) are read by H.leaf with their converter; other elements by a decoder.
    const C: ((text: string) => unknown)[] = [];
    props.forEach((p, i) => {
      const st = leafType(p.decl.type);
      const conv = st ? this.simple.textToSimple(st) : () => undefined;
      // An empty element with a default (or fixed) value has that value (XSD 1.0, 3.3.4).
      const dflt = p.decl.fixed ?? p.decl.default;
      C.push(st && dflt !== undefined ? (text: string) => conv(text === '' ? dflt : text) : conv);
      D.push(st ? () => undefined : this.element(p.decl));
      code.push(`let e${i};`);
    });
    const mixed = shape.mixed;
    const wildcards = shape.any;
    const hasElements = t.content.kind === 'elements';
    if (mixed) code.push("let text = '';");
    if (wildcards) code.push('let any;');
    code.push('for (;;) {', 'const k = s.next();', 'if (k === H.END) break;');
    if (mixed) code.push('if (k === H.TEXT) { text += s.text; continue; }');
    else code.push(`if (k === H.TEXT) { if (!H.isBlank(s.text)) H.report(ctx, ${lit(hasElements ? 'has text where only elements are allowed' : 'must be empty (found text)')}); continue; }`);
    const byLocal = new Map<string, number[]>();
    props.forEach((p, i) => byLocal.set(p.decl.name.local, [...(byLocal.get(p.decl.name.local) ?? []), i]));
    if (byLocal.size > 0) {
      code.push('switch (s.local) {');
      for (const [local, idx] of byLocal) {
        code.push(`case ${lit(local)}:`);
        for (const i of idx) {
          const p = props[i];
          const seg = lit(escapePointer(p.jsonName));
          const test = anyNs ? 'true' : `s.ns === ${lit(p.decl.name.ns)}`;
          const leaf = leafType(p.decl.type) !== undefined;
          const nillable = p.decl.nillable ? 'true' : 'false';
          const t = p.decl.type;
          if (p.decl.abstract || (t.kind === 'complex' && t.abstract)) {
            const why = p.decl.abstract
              ? `is an abstract element: a member of its substitution group must stand in its place`
              : `has the abstract type ${t.kind === 'complex' && t.name ? t.name.local : ''}: a derived type (xsi:type) is needed`;
            code.push(`if (${test}) { H.abstract(s, ctx, ${seg}, ${lit(why.replace('type : ', 'type: '))}); continue; }`);
            continue;
          }
          if (p.array && leaf) {
            code.push(`if (${test}) { if (e${i} === undefined) e${i} = []; e${i}.push(H.leaf(s, ctx, C[${i}], ${seg}, e${i}.length, ${nillable})); continue; }`);
          } else if (p.array) {
            code.push(`if (${test}) { if (e${i} === undefined) e${i} = []; ctx.path.push(${seg}, e${i}.length); e${i}.push(D[${i}](s, ctx)); ctx.path.pop(); ctx.path.pop(); continue; }`);
          } else if (leaf) {
            code.push(`if (${test}) { if (e${i} !== undefined) { H.duplicate(s, ctx, ${seg}); continue; } e${i} = H.leaf(s, ctx, C[${i}], ${seg}, -1, ${nillable}); continue; }`);
          } else {
            code.push(`if (${test}) { if (e${i} !== undefined) { H.duplicate(s, ctx, ${seg}); continue; } ctx.path.push(${seg}); e${i} = D[${i}](s, ctx); ctx.path.pop(); if (e${i} === undefined) e${i} = null; continue; }`);
          }
        }
        code.push('break;');
      }
      code.push('}');
    }
    if (wildcards) code.push("if (H.admits(W, s.ns)) { any = (any === undefined ? '' : any) + s.captureElement(); continue; }");
    code.push('H.unexpectedElement(s, ctx);', '}');

    // The object, in schema order: attributes, elements, $value, $any.
    code.push('const out = {};');
    shape.attrs.forEach((a, i) => code.push(`if (a${i} !== undefined) out[${lit(a.jsonName)}] = a${i};`));
    props.forEach((p, i) => {
      if (p.array && !p.inChoice) code.push(`out[${lit(p.jsonName)}] = e${i} === undefined ? [] : e${i};`);
      else code.push(`if (e${i} !== undefined) out[${lit(p.jsonName)}] = e${i};`);
    });
    if (mixed) code.push('out.$value = text;');
    if (wildcards) code.push('if (any !== undefined) out.$any = any;');
    code.push('return out;');

    // Generated from the schema only: names and namespaces enter as JSON string literals.
    const factory = new Function('H', 'A', 'C', 'D', 'W', 'WA', `return function decode(s, ctx) {\n${code.join('\n')}\n};`) as (
      h: typeof H,
      a: typeof A,
      c: typeof C,
      d: typeof D,
      w: typeof wildcards,
      wa: typeof anyAttrNs,
    ) => StreamDecoder;
    return factory(H, A, C, D, wildcards, anyAttrNs);
  }
}
