/**
 * What the encoders (compile/encoder.ts) and decoders (compile/decoder.ts) share: simple
 * values both ways, namespace prefixes, and the shape of decoding problems. Both follow the
 * shapes of compile/shape.ts, the same ones the JSON Schemas are built from.
 */
import { decimalToJson, integerToJson, isValidLexical, LEXICAL, normalizeWhitespace, numericToText } from '../codec/values';
import type { QName, SimpleType } from '../model/xsd';
import { escapeAttr } from '../xml/escape';
import { XML_NS } from '../xml/stream';

export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export interface Violation {
  pointer: string;
  detail: string;
}

/** A lexical value that is not valid for its type; the message names the type. */
export class DecodeFailure extends Error {}

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

/** Simple values both ways, built once per simple type. */
export class SimpleCodecs {
  private readonly encoders = new Map<SimpleType, (v: unknown) => string>();
  private readonly decoders = new Map<SimpleType, (text: string) => unknown>();

  /** JSON value -> lexical text (not yet escaped). */
  simpleToText(st: SimpleType): (v: unknown) => string {
    let f = this.encoders.get(st);
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
    this.encoders.set(st, f);
    return f;
  }

  /** Lexical text -> JSON value; throws DecodeFailure with a message naming the type. */
  textToSimple(st: SimpleType): (text: string) => unknown {
    let f = this.decoders.get(st);
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
    this.decoders.set(st, f);
    return f;
  }
}
