/**
 * Load-time XML: reads a WSDL or XSD file into a small namespace-aware tree that remembers
 * where each element starts, so every load problem can be reported as file:line:col.
 * DTDs are refused (no entity of any kind is ever expanded).
 */
import { LoadError } from '../compile/diagnostics';
import { CharsetError, decodeXml } from './charset';
import { EOF, END, LOAD_READ_LIMITS, START, TEXT, XmlError, XmlStream } from './stream';
import type { QName, SourcePos } from '../model/xsd';

export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
/** Pre-Recommendation schema namespaces still found in old WSDLs; read as XSD_NS. */
const XSD_ALIASES = new Set(['http://www.w3.org/1999/XMLSchema', 'http://www.w3.org/2000/10/XMLSchema']);

export function normalizeNs(uri: string): string {
  return XSD_ALIASES.has(uri) ? XSD_NS : uri;
}

export interface SAttr {
  ns: string;
  local: string;
  value: string;
}

export interface SNode {
  ns: string;
  local: string;
  /** Attributes in no namespace, by local name. */
  attrs: Map<string, string>;
  /** Attributes in a namespace (e.g. wsdl:arrayType), xmlns declarations excluded. */
  nsAttrs: SAttr[];
  children: SNode[];
  /** Concatenated character data directly inside this element. */
  text: string;
  /** In-scope namespace bindings (prefix -> uri; '' is the default namespace). */
  scope: Record<string, string>;
  pos: SourcePos;
  /** Offset of the start tag's '<' in the decoded text (for rewriting the text, e.g. when publishing). */
  offset: number;
}

// Not frozen (a frozen prototype would make assignments on derived scopes fail), and without
// a prototype, so a prefix such as "constructor" is never taken for a bound one.
const ROOT_SCOPE: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { xml: 'http://www.w3.org/XML/1998/namespace' });

/** Decodes file bytes honouring a BOM or the XML declaration's encoding. */
export function decodeXmlBytes(buf: Buffer, file: string): string {
  try {
    return decodeXml(buf);
  } catch (e) {
    if (e instanceof CharsetError) throw new LoadError({ file, line: 1, col: 1 }, e.message);
    throw e;
  }
}

/**
 * Parses XML text into an SNode tree. Throws LoadError with the position of the first problem.
 * Read with the runtime tokenizer (xml/stream.ts): as strict as saxes, which did this before,
 * and about eight times faster, which is most of the load time of a WSDL of thousands of
 * operations. Lines and columns are counted from the offsets, once, in one pass.
 */
export function parseSourceXml(text: string, file: string): SNode {
  // Line of each offset asked for, in increasing order (start tags come in document order).
  let line = 1;
  let lineStart = 0;
  let nextNl = text.indexOf('\n');
  const posAt = (offset: number): SourcePos => {
    while (nextNl >= 0 && nextNl < offset) {
      line++;
      lineStart = nextNl + 1;
      nextNl = text.indexOf('\n', lineStart);
    }
    return { file, line, col: offset - lineStart + 1 };
  };
  const failAt = (offset: number, message: string): LoadError => {
    // An error may lie before the last start tag counted: count again from the top.
    if (offset < lineStart) {
      line = 1;
      lineStart = 0;
      nextNl = text.indexOf('\n');
    }
    return new LoadError(posAt(offset), message);
  };
  const s = new XmlStream(text, LOAD_READ_LIMITS);
  const stack: SNode[] = [];
  let root: SNode | undefined;
  try {
    for (let t = s.next(); t !== EOF; t = s.next()) {
      if (t === START) {
        const parent = stack[stack.length - 1];
        let scope = parent ? parent.scope : ROOT_SCOPE;
        if (s.decls) {
          scope = Object.create(scope) as Record<string, string>;
          for (const [prefix, uri] of s.decls) scope[prefix] = normalizeNs(uri);
        }
        const node: SNode = { ns: normalizeNs(s.ns), local: s.local, attrs: new Map(), nsAttrs: [], children: [], text: '', scope, pos: posAt(s.start), offset: s.start };
        for (const a of s.attrs) {
          if (!a.ns) node.attrs.set(a.local, a.value);
          else node.nsAttrs.push({ ns: normalizeNs(a.ns), local: a.local, value: a.value });
        }
        if (parent) parent.children.push(node);
        else root = node;
        stack.push(node);
      } else if (t === END) stack.pop();
      else if (t === TEXT) {
        const top = stack[stack.length - 1];
        if (top) top.text += s.text;
      }
    }
  } catch (e) {
    if (!(e instanceof XmlError)) throw e;
    if (e.code === 'XML_DTD') throw failAt(e.offset, 'DTDs are not allowed (no DOCTYPE, no entity declarations)');
    if (e.code === 'XML_LIMIT') throw failAt(e.offset, `refused: ${e.message}`);
    throw failAt(e.offset, `not well-formed XML: ${e.message}`);
  }
  if (!root) throw new LoadError({ file, line: 1, col: 1 }, 'no root element');
  return root;
}

export function attr(node: SNode, name: string): string | undefined {
  return node.attrs.get(name);
}

export function childrenNamed(node: SNode, ns: string, local: string): SNode[] {
  return node.children.filter((c) => c.ns === ns && c.local === local);
}

export function firstChild(node: SNode, ns: string, local: string): SNode | undefined {
  return node.children.find((c) => c.ns === ns && c.local === local);
}

/** Resolves a QName-valued attribute against the element's in-scope namespaces. */
export function resolveQName(node: SNode, value: string): QName {
  const v = value.trim();
  const i = v.indexOf(':');
  const prefix = i < 0 ? '' : v.slice(0, i);
  const local = i < 0 ? v : v.slice(i + 1);
  const ns = node.scope[prefix];
  if (ns === undefined) {
    if (prefix === '') return { ns: '', local };
    throw new LoadError(node.pos, `prefix "${prefix}" in "${v}" is not bound to a namespace`);
  }
  return { ns, local };
}

/** The text of the first xs:annotation/xs:documentation child, whitespace collapsed. */
export function documentation(node: SNode): string | undefined {
  const ann = firstChild(node, XSD_NS, 'annotation');
  if (!ann) return undefined;
  const doc = firstChild(ann, XSD_NS, 'documentation');
  const t = doc?.text.replace(/\s+/g, ' ').trim();
  return t || undefined;
}
