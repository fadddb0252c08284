/**
 * Encoders, compiled per type at load time: XML text written straight from JSON in schema
 * order, no DOM in between.
 */
import type { ComplexType, ElementDecl, Particle } from '../model/xsd';
import { escapeAttr, escapeText } from '../xml/escape';
import type { NamespaceTable, SimpleCodecs } from './codec';
import { shapeOf, type TypeShape } from './shape';

export type ElementEncoder = (value: unknown) => string;
type ContentEncoder = (tag: string, value: unknown) => string;

export class Encoders {
  private readonly encoders = new Map<ComplexType, ContentEncoder>();

  constructor(
    readonly ns: NamespaceTable,
    private readonly simple: SimpleCodecs,
  ) {}

  /** Writes one element (with its tag) for a JSON value; `null` becomes xsi:nil. */
  elementEncoder(decl: ElementDecl): ElementEncoder {
    const tag = this.ns.tag(decl.name);
    const nil = `<${tag} xsi:nil="true"/>`;
    const t = decl.type;
    if (t.kind === 'simple') {
      const toText = this.simple.simpleToText(t);
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
      const toText = this.simple.simpleToText(shape.valueType!);
      return (tag, v) => `<${tag}>${escapeText(toText(v))}</${tag}>`;
    }
    if (shape.kind === 'array') {
      // A soapenc:Array type in a literal message: its items as child elements.
      const item = this.elementEncoder(shape.item!);
      return (tag, v) => {
        const list = Array.isArray(v) ? v : [];
        let inner = '';
        for (let i = 0; i < list.length; i++) inner += item(list[i]);
        return inner === '' ? `<${tag}/>` : `<${tag}>${inner}</${tag}>`;
      };
    }
    const attrs = shape.attrs.map((a) => ({ name: a.jsonName, prefix: ` ${this.ns.tag(a.use.name)}="`, toText: this.simple.simpleToText(a.use.type) }));
    const valueText = shape.valueType ? this.simple.simpleToText(shape.valueType) : undefined;
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
}
