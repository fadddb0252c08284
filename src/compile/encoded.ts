/**
 * rpc/encoded messages (SOAP 1.1 section 5 encoding), both ways, over the same type shapes
 * (compile/shape.ts) as the literal codec and the JSON Schemas.
 *
 * Writing: the rpc wrapper in the soap:body namespace with `soap:encodingStyle`, unqualified
 * part accessors, `xsi:type` on every part and nested value (`xsd:int`, or the QName of a named
 * type), SOAP-ENC arrays as `<item>` members with `soapenc:arrayType="T[n]"`.
 *
 * Reading is lenient, as real servers write: the Body is read as a tree (multi-ref values come
 * after the wrapper), `href="#id"` is resolved against every element with an `id` (a cycle is an
 * error), `xsi:type` decides where the declared type leaves it open (xs:anyType, a type derived
 * from the declared one), soapenc:string and friends are read as their XSD types, `xsi:nil` is
 * null. Multi-dimensional and partially transmitted arrays are refused with a clear error.
 */
import { escapePointer, DecodeFailure, XSI_NS, type NamespaceTable, type SimpleCodecs, type Violation } from './codec';
import { shapeOf, wildcardAdmits, type TypeShape } from './shape';
import { SOAPENC12_NS, SOAPENC_NS } from './xsd';
import type { MessageShape, SoapVersion } from '../model/operation';
import type { ComplexType, QName, SimpleType, XsdType } from '../model/xsd';
import { envelopeClose, envelopeNs } from '../soap/envelope';
import { escapeAttr, escapeText } from '../xml/escape';
import { attrOf, buildTree, outerXml, resolveQNameIn, type XElem } from '../xml/reader';
import { normalizeNs, XSD_NS } from '../xml/source';
import { END, isBlank, TEXT, type XmlStream } from '../xml/stream';

export const SOAP11_ENCODING = SOAPENC_NS;
/** The xsi namespace of 1999 drafts, still written by old SOAP stacks. */
const XSI_1999 = 'http://www.w3.org/1999/XMLSchema-instance';
const ANY: XsdType = { kind: 'anyType' };
/** xsi:type="soapenc:Struct": read like xs:anyType, but always as an object (`{}` when empty). */
const STRUCT: XsdType = { kind: 'anyType' };
const MAX_ERRORS = 100;
/** Depth of values, multi-ref values included (the tokenizer bounds the depth of the XML itself). */
const MAX_DEPTH = 256;
/** Values one message may decode to: at least this many, or this many per element of the Body. */
const MIN_VALUE_BUDGET = 100_000;
const VALUES_PER_ELEMENT = 10;
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Looks up a named type of the bundle's schemas (for xsi:type); undefined when unknown. */
export type TypeLookup = (q: QName) => XsdType | undefined;

type ValueWriter = (tag: string, v: unknown) => string;

/** The QName of a type as an xsi:type value, or undefined for an anonymous type. */
interface TypeRef {
  ns: string;
  local: string;
}

function simpleTypeRef(st: SimpleType): TypeRef | undefined {
  if (st.name) return st.name;
  if (st.variety === 'atomic') return { ns: XSD_NS, local: st.builtinName };
  return undefined;
}

function complexTypeRef(t: ComplexType): TypeRef | undefined {
  if (t.name) return t.name;
  const shape = shapeOf(t);
  if (shape.kind === 'scalar') return simpleTypeRef(shape.valueType!);
  return undefined;
}

/** Whether `t` is `base` or derives from it. */
function derivesFrom(t: ComplexType, base: ComplexType): boolean {
  for (let c: ComplexType | undefined = t; c; c = c.base) if (c === base) return true;
  return false;
}

/** Namespaces the encoded form of `t` may write (element names and xsi:type values). */
export function encodedNamespaces(t: XsdType, acc: Set<string>, seen = new Set<XsdType>()): void {
  if (seen.has(t)) return;
  seen.add(t);
  if (t.kind === 'simple') {
    if (t.name?.ns) acc.add(t.name.ns);
    return;
  }
  if (t.kind === 'anyType') return;
  if (t.name?.ns) acc.add(t.name.ns);
  for (const a of t.attributes) if (a.name.ns) acc.add(a.name.ns);
  if (t.content.kind === 'simple' && t.content.type.name?.ns) acc.add(t.content.type.name.ns);
  const shape = shapeOf(t);
  if (shape.item) encodedNamespaces(shape.item.type, acc, seen);
  for (const e of shape.elements) {
    if (e.decl.name.ns) acc.add(e.decl.name.ns);
    encodedNamespaces(e.decl.type, acc, seen);
  }
}

export class EncodedCodec {
  private readonly writers = new Map<XsdType, ValueWriter>();

  constructor(
    private readonly ns: NamespaceTable,
    private readonly simple: SimpleCodecs,
    private readonly lookup: TypeLookup,
  ) {}

  // ---- writing --------------------------------------------------------------------------

  /** The prefix a namespace is written with: `xsd` and `soapenc` are declared on every encoded envelope. */
  private qn(q: TypeRef): string {
    if (q.ns === XSD_NS) return `xsd:${q.local}`;
    if (q.ns === SOAPENC_NS) return `soapenc:${q.local}`;
    return q.ns ? `${this.ns.prefix(q.ns)}:${q.local}` : q.local;
  }

  private typeAttr(q: TypeRef | undefined): string {
    return q ? ` xsi:type="${this.qn(q)}"` : '';
  }

  /** The arrayType base of an array's items: `xsd:string`, `tns:Item`, `xsd:string[]` for arrays of arrays. */
  private itemTypeName(t: XsdType): string {
    if (t.kind === 'anyType') return 'xsd:anyType';
    if (t.kind === 'simple') return this.qn(simpleTypeRef(t) ?? { ns: XSD_NS, local: 'string' });
    if (t.name) return this.qn(t.name);
    const shape = shapeOf(t);
    if (shape.kind === 'array') return `${this.itemTypeName(shape.item!.type)}[]`;
    const ref = complexTypeRef(t);
    return ref ? this.qn(ref) : 'xsd:anyType';
  }

  /** Writes an element of type `t` (tag given) with xsi:type; null is xsi:nil. Built once per type. */
  valueWriter(t: XsdType): ValueWriter {
    const known = this.writers.get(t);
    if (known) return known;
    let impl: ValueWriter | undefined;
    this.writers.set(t, (tag, v) => impl!(tag, v));
    impl = this.buildWriter(t);
    this.writers.set(t, impl);
    return impl;
  }

  private buildWriter(t: XsdType): ValueWriter {
    if (t.kind === 'anyType') return (tag, v) => this.writeAny(tag, v);
    if (t.kind === 'simple') {
      const toText = this.simple.simpleToText(t);
      const type = this.typeAttr(simpleTypeRef(t));
      return (tag, v) => (v === null ? `<${tag} xsi:nil="true"/>` : `<${tag}${type}>${escapeText(toText(v))}</${tag}>`);
    }
    const shape = shapeOf(t);
    if (shape.kind === 'scalar') {
      const toText = this.simple.simpleToText(shape.valueType!);
      const type = this.typeAttr(complexTypeRef(t));
      return (tag, v) => (v === null ? `<${tag} xsi:nil="true"/>` : `<${tag}${type}>${escapeText(toText(v))}</${tag}>`);
    }
    if (shape.kind === 'array') {
      const item = shape.item!;
      const itemTag = this.ns.tag(item.name);
      const itemWriter = this.valueWriter(item.type);
      const base = this.itemTypeName(item.type);
      const type = t.name ? this.qn(t.name) : 'soapenc:Array';
      return (tag, v) => {
        if (v === null) return `<${tag} xsi:nil="true"/>`;
        const list = Array.isArray(v) ? v : [];
        let s = `<${tag} xsi:type="${type}" soapenc:arrayType="${base}[${list.length}]"`;
        if (list.length === 0) return s + '/>';
        s += '>';
        for (let i = 0; i < list.length; i++) s += itemWriter(itemTag, list[i]);
        return s + `</${tag}>`;
      };
    }
    return this.objectWriter(t, shape);
  }

  private objectWriter(t: ComplexType, shape: TypeShape): ValueWriter {
    const type = this.typeAttr(complexTypeRef(t));
    const attrs = shape.attrs.map((a) => ({ name: a.jsonName, prefix: ` ${this.ns.tag(a.use.name)}="`, toText: this.simple.simpleToText(a.use.type) }));
    const valueText = shape.valueType ? this.simple.simpleToText(shape.valueType) : undefined;
    const members = shape.elements.map((e) => ({ name: e.jsonName, array: e.array, tag: this.ns.tag(e.decl.name), write: this.valueWriter(e.decl.type) }));
    const mixed = shape.mixed;
    const any = shape.any !== undefined;
    return (tag, v) => {
      if (v === null) return `<${tag} xsi:nil="true"/>`;
      const obj = (v ?? {}) as Record<string, unknown>;
      let s = `<${tag}${type}`;
      for (const a of attrs) {
        const x = obj[a.name];
        if (x !== undefined && x !== null) s += a.prefix + escapeAttr(a.toText(x)) + '"';
      }
      let inner = '';
      if (valueText) {
        const x = obj.$value;
        if (x !== undefined && x !== null) inner = escapeText(valueText(x));
      } else {
        if (mixed && typeof obj.$value === 'string') inner = escapeText(obj.$value);
        for (const m of members) {
          const x = obj[m.name];
          if (x === undefined) continue;
          if (m.array && Array.isArray(x)) for (const item of x) inner += m.write(m.tag, item);
          else inner += m.write(m.tag, x);
        }
        if (any && typeof obj.$any === 'string') inner += obj.$any;
      }
      return inner === '' ? s + '/>' : `${s}>${inner}</${tag}>`;
    };
  }

  /** xs:anyType: the JSON value decides the xsi:type (string, boolean, int/long/double, array, struct). */
  private writeAny(tag: string, v: unknown): string {
    if (v === null || v === undefined) return `<${tag} xsi:nil="true"/>`;
    switch (typeof v) {
      case 'string':
        return `<${tag} xsi:type="xsd:string">${escapeText(v)}</${tag}>`;
      case 'boolean':
        return `<${tag} xsi:type="xsd:boolean">${v}</${tag}>`;
      case 'number': {
        const type = !Number.isInteger(v) ? 'double' : Math.abs(v) <= 2147483647 ? 'int' : 'long';
        return `<${tag} xsi:type="xsd:${type}">${type === 'double' ? String(v).replace('Infinity', 'INF') : String(v)}</${tag}>`;
      }
      default:
        break;
    }
    if (Array.isArray(v)) {
      let s = `<${tag} xsi:type="soapenc:Array" soapenc:arrayType="xsd:anyType[${v.length}]"`;
      if (v.length === 0) return s + '/>';
      s += '>';
      for (const item of v) s += this.writeAny('item', item);
      return s + `</${tag}>`;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === '$any' && typeof obj.$any === 'string') return obj.$any === '' ? `<${tag}/>` : `<${tag}>${obj.$any}</${tag}>`;
    let inner = '';
    for (const k of keys) {
      const name = NCNAME.test(k) && !/^xml/i.test(k) ? k : `_${k.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      inner += this.writeAny(name, obj[k]);
    }
    return inner === '' ? `<${tag} xsi:type="soapenc:Struct"/>` : `<${tag} xsi:type="soapenc:Struct">${inner}</${tag}>`;
  }

  /** Whole envelopes of an rpc/encoded message, with optional header blocks. */
  envelopeWriter(version: SoapVersion, shape: MessageShape, headerNamespaces: Set<string>): (value: unknown, header?: string) => string {
    const nsSet = new Set(headerNamespaces);
    encodedNamespaces(shape.type, nsSet);
    if (shape.wrapper?.ns) nsSet.add(shape.wrapper.ns);
    nsSet.delete(XSD_NS);
    nsSet.delete(SOAPENC_NS);
    // Element names are written with the namespace table's prefixes, even in the XSD or SOAP-ENC
    // namespace (a part declared as element="xsd:string"): those must be declared too.
    for (const e of shapeOf(shape.type).elements) if (e.decl.name.ns) nsSet.add(e.decl.name.ns);
    const wrapperTag = shape.wrapper ? this.ns.tag(shape.wrapper) : '';
    const parts = shapeOf(shape.type).elements.map((e) => ({ name: e.jsonName, array: e.array, tag: this.ns.tag(e.decl.name), write: this.valueWriter(e.decl.type) }));
    // Prefixes are settled once every writer is built (building may assign new ones).
    const start = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${envelopeNs(version)}" xmlns:xsi="${XSI_NS}" xmlns:xsd="${XSD_NS}" xmlns:soapenc="${SOAPENC_NS}"${this.ns.declarations(nsSet)}>`;
    const open = `<${wrapperTag} soap:encodingStyle="${SOAP11_ENCODING}">`;
    const close = `</${wrapperTag}>`;
    const tail = envelopeClose();
    return (value, header) => {
      const obj = (value ?? {}) as Record<string, unknown>;
      let s = header ? `${start}<soap:Header>${header}</soap:Header><soap:Body>` : `${start}<soap:Body>`;
      s += open;
      for (const p of parts) {
        const x = obj[p.name];
        if (x === undefined) continue;
        if (p.array && Array.isArray(x)) for (const item of x) s += p.write(p.tag, item);
        else s += p.write(p.tag, x);
      }
      return s + close + tail;
    };
  }

  // ---- reading --------------------------------------------------------------------------

  /** Reads the Body content of an rpc/encoded message (from just after the Body's start tag to its end tag). */
  bodyReader(shape: MessageShape): (s: XmlStream) => { value: unknown; errors: Violation[] } {
    const w = shape.wrapper!;
    return (s) => {
      const errors: Violation[] = [];
      const tops: XElem[] = [];
      for (let t = s.next(); t !== END; t = s.next()) {
        if (t === TEXT) {
          if (!isBlank(s.text)) errors.push({ pointer: '', detail: 'the SOAP Body holds text' });
          continue;
        }
        tops.push(buildTree(s));
      }
      // The wrapper is the first element not marked as a mere multi-ref value (soapenc:root="0").
      const wrapper = tops.find((e) => !isNotRoot(e)) ?? tops[0];
      if (!wrapper) {
        errors.push({ pointer: '', detail: `expected ${w.ns ? `{${w.ns}}` : ''}${w.local} in the SOAP Body, found nothing` });
        return { value: undefined, errors };
      }
      // The wrapper's name is not checked: a request reached this operation by it, and servers
      // answer in namespaces of their own (Delphi's `…-IewsServer`, none at all), as they name
      // the response element as they like.
      const reader = new EncodedReader(this, s.src, tops, errors);
      const value = reader.object(wrapper, shape.type, shapeOf(shape.type), []);
      return { value, errors };
    };
  }

  /** A named type for an xsi:type value: XSD built-ins, SOAP-ENC types, then the bundle's schemas. */
  typeNamed(q: QName): XsdType | undefined {
    return this.lookup(q);
  }

  textOf(st: SimpleType): (text: string) => unknown {
    return this.simple.textToSimple(st);
  }
}

function isNotRoot(e: XElem): boolean {
  const r = attrOf(e, SOAPENC_NS, 'root') ?? attrOf(e, SOAPENC12_NS, 'root');
  return r !== undefined && (r.trim() === '0' || r.trim() === 'false');
}

function xsiAttr(e: XElem, local: string): string | undefined {
  return attrOf(e, XSI_NS, local) ?? attrOf(e, XSI_1999, local);
}

function isNil(e: XElem): boolean {
  const v = xsiAttr(e, 'nil') ?? xsiAttr(e, 'null');
  return v !== undefined && (v.trim() === 'true' || v.trim() === '1');
}

/** Attributes the encoding itself uses, never content: xsi:*, soapenc:*, the envelope's, id/href. */
function isEncodingAttr(a: { ns: string; local: string }): boolean {
  if (a.ns === '') return a.local === 'id' || a.local === 'href';
  return a.ns === XSI_NS || a.ns === XSI_1999 || a.ns === SOAPENC_NS || a.ns === SOAPENC12_NS || a.ns === envelopeNs('1.1') || a.ns === envelopeNs('1.2');
}

/** One message being read: the Body's elements, the id index, the problems. */
class EncodedReader {
  private readonly ids = new Map<string, XElem>();
  /** Multi-ref values being decoded (cycle guard). */
  private readonly active = new Set<XElem>();

  constructor(
    private readonly codec: EncodedCodec,
    private readonly src: string,
    tops: XElem[],
    private readonly errors: Violation[],
  ) {
    let elements = 0;
    const index = (e: XElem): void => {
      elements++;
      const id = attrOf(e, '', 'id') ?? attrOf(e, SOAPENC12_NS, 'id');
      if (id !== undefined && !this.ids.has(id.trim())) this.ids.set(id.trim(), e);
      for (const c of e.children) index(c);
    };
    tops.forEach(index);
    this.budget = Math.max(MIN_VALUE_BUDGET, VALUES_PER_ELEMENT * elements);
  }

  /** Values left to decode: shared multi-ref values are repeated in JSON, so a small message could otherwise expand exponentially. */
  private budget: number;
  private depth = 0;

  private report(path: (string | number)[], detail: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ pointer: path.length ? `/${path.join('/')}` : '', detail });
  }

  /** Follows href="#id" (SOAP 1.2: enc:ref="id"); undefined (reported) when it leads nowhere. */
  private deref(e: XElem, path: (string | number)[]): XElem | undefined {
    const seen = new Set<XElem>();
    for (let cur = e; ; ) {
      const href = attrOf(cur, '', 'href') ?? attrOf(cur, SOAPENC12_NS, 'ref');
      if (href === undefined) return cur;
      seen.add(cur);
      const id = href.trim().replace(/^#/, '');
      const target = this.ids.get(id);
      if (!target) {
        this.report(path, `refers to "${href.trim()}", but no element of the Body has id "${id}"`);
        return undefined;
      }
      if (this.active.has(target) || seen.has(target)) {
        this.report(path, `refers to "${href.trim()}", which contains this reference: multi-ref values that refer to themselves cannot be written as JSON`);
        return undefined;
      }
      cur = target;
    }
  }

  /** The xsi:type of an element, resolved; undefined when absent or unknown. */
  private xsiType(e: XElem): XsdType | undefined {
    const raw = xsiAttr(e, 'type');
    if (raw === undefined) return undefined;
    const q = resolveQNameIn(e, raw);
    if (!q) return undefined;
    // soapenc:Struct says only "a struct": its members carry their own xsi:types.
    if ((q.ns === SOAPENC_NS || q.ns === SOAPENC12_NS) && q.local === 'Struct') return STRUCT;
    return this.codec.typeNamed({ ns: normalizeNs(q.ns), local: q.local });
  }

  /** An element named by its SOAP-ENC type (`<soapenc:int>5</soapenc:int>`, SOAP 1.1 section 5.2). */
  private namedBySoapEnc(e: XElem): XsdType | undefined {
    if (e.ns !== SOAPENC_NS && e.ns !== SOAPENC12_NS) return undefined;
    if (e.local === 'Struct') return STRUCT;
    return this.codec.typeNamed({ ns: e.ns, local: e.local });
  }

  /** The type a value is read as: the declared one, or what xsi:type names where that is allowed. */
  private effectiveType(e: XElem, declared: XsdType, fallback: XsdType | undefined): XsdType {
    if (declared.kind === 'simple') return declared;
    const x = this.xsiType(e);
    if (declared.kind === 'anyType') return x ?? this.namedBySoapEnc(e) ?? fallback ?? declared;
    if (x && x.kind === 'complex' && derivesFrom(x, declared)) return x;
    return declared;
  }

  /** Decodes one accessor (an element, maybe a reference) of declared type `declared`. */
  value(el: XElem, declared: XsdType, path: (string | number)[], fallback?: XsdType): unknown {
    if (--this.budget < 0) {
      if (this.budget === -1) this.report(path, `multi-ref values expand to more values than the message can reasonably hold; refused`);
      return null;
    }
    if (this.depth >= MAX_DEPTH) {
      this.report(path, `values are nested (through multi-ref values) more than ${MAX_DEPTH} levels deep`);
      return null;
    }
    const e = this.deref(el, path);
    if (!e) return null;
    if (isNil(e) || isNil(el)) return null;
    this.active.add(e);
    this.depth++;
    try {
      const t = this.effectiveType(e, declared, fallback);
      if (t.kind === 'simple') return this.simpleValue(e, t, path);
      if (t.kind === 'anyType') return this.untyped(e, path, t === STRUCT);
      const shape = shapeOf(t);
      if (shape.kind === 'scalar') return this.simpleValue(e, shape.valueType!, path);
      if (shape.kind === 'array') return this.array(e, shape, path);
      return this.object(e, t, shape, path);
    } finally {
      this.depth--;
      this.active.delete(e);
    }
  }

  private simpleValue(e: XElem, st: SimpleType, path: (string | number)[]): unknown {
    if (e.children.length) this.report(path, 'must have simple content, found child elements');
    try {
      return this.codec.textOf(st)(e.text);
    } catch (err) {
      if (!(err instanceof DecodeFailure)) throw err;
      this.report(path, err.message);
      return null;
    }
  }

  /** No type known (xs:anyType without xsi:type): text, or a struct of its children by name. */
  private untyped(e: XElem, path: (string | number)[], struct: boolean): unknown {
    if (e.children.length === 0) return struct ? {} : e.text;
    const counts = new Map<string, number>();
    for (const c of e.children) counts.set(c.local, (counts.get(c.local) ?? 0) + 1);
    const out: Record<string, unknown> = {};
    for (const c of e.children) {
      const seg = escapePointer(c.local);
      if ((counts.get(c.local) ?? 0) > 1) {
        const list = (out[c.local] ??= []) as unknown[];
        list.push(this.value(c, ANY, [...path, seg, list.length]));
      } else out[c.local] = this.value(c, ANY, [...path, seg]);
    }
    return out;
  }

  private array(e: XElem, shape: TypeShape, path: (string | number)[]): unknown[] {
    const item = shape.item!;
    let fallback: XsdType | undefined;
    const arrayType = attrOf(e, SOAPENC_NS, 'arrayType');
    if (arrayType !== undefined) {
      const m = /^\s*([^\s[]+)((?:\[[^\]]*\])*)\s*\[([^\]]*)\]\s*$/.exec(arrayType);
      if (!m) this.report(path, `has soapenc:arrayType="${arrayType}", which is not of the form T[n]`);
      else if (m[3].includes(',')) {
        this.report(path, `is a multi-dimensional SOAP-ENC array (soapenc:arrayType="${arrayType.trim()}"), which the bridge does not support`);
        return [];
      } else if (item.type.kind === 'anyType' && m[2] === '') {
        const q = resolveQNameIn(e, m[1]);
        fallback = q ? this.codec.typeNamed({ ns: normalizeNs(q.ns), local: q.local }) : undefined;
      }
    }
    if (attrOf(e, SOAPENC_NS, 'offset') !== undefined) {
      this.report(path, 'is a partially transmitted SOAP-ENC array (soapenc:offset), which the bridge does not support');
      return [];
    }
    const out: unknown[] = [];
    for (const c of e.children) {
      if (attrOf(c, SOAPENC_NS, 'position') !== undefined) {
        this.report([...path, out.length], 'is a member of a sparse SOAP-ENC array (soapenc:position), which the bridge does not support');
        return [];
      }
      out.push(this.value(c, item.type, [...path, out.length], fallback));
    }
    if (/\S/.test(e.text)) this.report(path, 'has text where only elements are allowed');
    return out;
  }

  /** A struct: accessors matched to the type's elements by local name (namespaces vary between servers). */
  object(e: XElem, t: ComplexType, shape: TypeShape, path: (string | number)[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of shape.attrs) {
      const raw = attrOf(e, a.use.name.ns, a.use.name.local);
      if (raw === undefined) continue;
      try {
        out[a.jsonName] = this.codec.textOf(a.use.type)(raw);
      } catch (err) {
        if (!(err instanceof DecodeFailure)) throw err;
        this.report([...path, escapePointer(a.jsonName)], err.message);
      }
    }
    if (!t.anyAttribute && t.synthetic === undefined) {
      for (const a of e.attrs) {
        if (isEncodingAttr(a) || shape.attrs.some((x) => x.use.name.ns === a.ns && x.use.name.local === a.local)) continue;
        this.report(path, `unexpected attribute ${a.qname}`);
      }
    }
    if (shape.valueType) {
      if (e.children.length) this.report(path, 'must have simple content, found child elements');
      try {
        const v = this.codec.textOf(shape.valueType)(e.text);
        out.$value = v;
      } catch (err) {
        if (!(err instanceof DecodeFailure)) throw err;
        this.report([...path, '$value'], err.message);
      }
      return out;
    }
    const values = new Map<string, unknown>();
    let any: string | undefined;
    for (const c of e.children) {
      const prop = shape.elements.find((p) => p.decl.name.local === c.local);
      if (!prop) {
        if (shape.any && wildcardAdmits(shape.any, c.ns)) {
          any = (any ?? '') + outerXml(this.src, c);
          continue;
        }
        this.report(path, `unexpected element ${c.ns ? `{${c.ns}}` : ''}${c.local}`);
        continue;
      }
      const seg = escapePointer(prop.jsonName);
      if (prop.array) {
        let list = values.get(prop.jsonName) as unknown[] | undefined;
        if (!list) values.set(prop.jsonName, (list = []));
        list.push(this.value(c, prop.decl.type, [...path, seg, list.length]));
      } else if (values.has(prop.jsonName)) this.report([...path, seg], 'occurs more than once but is not repeatable');
      else values.set(prop.jsonName, this.value(c, prop.decl.type, [...path, seg]));
    }
    if (/\S/.test(e.text) && !shape.mixed) this.report(path, 'has text where only elements are allowed');
    for (const p of shape.elements) {
      if (values.has(p.jsonName)) out[p.jsonName] = values.get(p.jsonName);
      else if (p.array && !p.inChoice) out[p.jsonName] = [];
    }
    if (shape.mixed) out.$value = e.text;
    if (any !== undefined) out.$any = any;
    return out;
  }
}
