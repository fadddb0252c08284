/**
 * Load-time XML: reads a WSDL or XSD file into a small namespace-aware tree that remembers
 * where each element starts, so every load problem can be reported as file:line:col.
 * DTDs are refused (no entity of any kind is ever expanded).
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { LoadError } from '../compile/diagnostics';
import { CharsetError, decodeXml } from './charset';
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

/** Parses XML text into an SNode tree. Throws LoadError with the position of the first problem. */
export function parseSourceXml(text: string, file: string): SNode {
  const parser = new SaxesParser({ xmlns: true, position: true, fileName: file });
  const stack: SNode[] = [];
  let root: SNode | undefined;
  let tagLine = 1;
  let tagCol = 1;
  let tagOffset = 0;
  let failure: LoadError | undefined;
  const fail = (line: number, col: number, message: string): void => {
    if (!failure) failure = new LoadError({ file, line, col }, message);
  };

  parser.on('error', (err) => {
    // saxes prefixes "file:line:col: "; keep only the message, we add our own position.
    const msg = err.message.replace(/^.*?:\d+:\d+: /, '');
    fail(parser.line, parser.column + 1, `not well-formed XML: ${msg}`);
  });
  parser.on('doctype', () => {
    fail(parser.line, parser.column + 1, 'DTDs are not allowed (no DOCTYPE, no entity declarations)');
  });
  parser.on('opentagstart', (tag) => {
    // saxes has consumed '<', the name and the character after it: step back to the '<'.
    tagLine = parser.line;
    tagCol = Math.max(1, parser.column - tag.name.length - 1);
    tagOffset = parser.position - tag.name.length - 2;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const parent = stack[stack.length - 1];
    const parentScope = parent ? parent.scope : ROOT_SCOPE;
    let scope = parentScope;
    if (tag.ns && Object.keys(tag.ns).length > 0) {
      scope = Object.create(parentScope) as Record<string, string>;
      for (const [prefix, uri] of Object.entries(tag.ns)) scope[prefix] = normalizeNs(uri);
    }
    const node: SNode = {
      ns: normalizeNs(tag.uri ?? ''),
      local: tag.local ?? tag.name,
      attrs: new Map(),
      nsAttrs: [],
      children: [],
      text: '',
      scope,
      pos: { file, line: tagLine, col: tagCol },
      offset: tagOffset,
    };
    for (const a of Object.values(tag.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      if (!a.uri) node.attrs.set(a.local, a.value);
      else node.nsAttrs.push({ ns: normalizeNs(a.uri), local: a.local, value: a.value });
    }
    if (parent) parent.children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const onText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).close();
  } catch (e) {
    if (!failure) fail(parser.line, parser.column + 1, `not well-formed XML: ${(e as Error).message}`);
  }
  if (failure) throw failure;
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
