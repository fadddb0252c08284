/**
 * XML as a tree, for where one is needed (SOAP Faults, generic conversion, tests). Built by the
 * same strict tokenizer the compiled decoders drive (xml/stream.ts), so both refuse exactly the
 * same documents. Elements remember their source offsets.
 */
import { END, EOF, isBlank, START, TEXT, XmlError, XmlStream, DEFAULT_READ_LIMITS, NO_ATTRS, XML_NS, type ReadLimits, type XAttr } from './stream';

export { DEFAULT_READ_LIMITS, LOAD_READ_LIMITS, LIMIT_ENV_NAMES, INVALID_XML_CHAR, XML_NS, XmlError, type ReadLimits, type XAttr, type XmlErrorCode } from './stream';

export interface XElem {
  ns: string;
  local: string;
  qname: string;
  attrs: XAttr[];
  children: XElem[];
  /** Character data directly inside the element (whitespace between child elements left out). */
  text: string;
  /** Offsets of '<' of the start tag and just past the end tag (or '/>'). */
  start: number;
  end: number;
  parent: XElem | null;
  /** Namespace declarations made on this element, as [prefix, uri] pairs ('' = default). */
  decls: [string, string][] | null;
  /** On the root of a tree read from inside a document: the bindings in scope around it. */
  inherited?: Readonly<Record<string, string>>;
}

/** Shared by every element without children; never written to (frozen). */
const NO_CHILDREN = Object.freeze([]) as unknown as XElem[];

/** After START: reads the element (content and end tag included) into a tree. */
export function buildTree(s: XmlStream): XElem {
  const node = (parent: XElem | null): XElem => ({
    ns: s.ns,
    local: s.local,
    qname: s.qname,
    attrs: s.attrs === NO_ATTRS ? NO_ATTRS : s.attrs,
    children: NO_CHILDREN,
    text: '',
    start: s.start,
    end: s.tagEnd,
    parent,
    decls: s.decls,
  });
  const root = node(null);
  if (s.depth > 1) root.inherited = s.parentScope();
  let cur: XElem | null = root;
  const depth = s.depth;
  while (s.depth >= depth) {
    const t = s.next();
    if (t === START) {
      const el = node(cur);
      if (cur!.children === NO_CHILDREN) cur!.children = [el];
      else cur!.children.push(el);
      cur = el;
    } else if (t === END) {
      cur!.end = s.pos;
      cur = cur!.parent;
    } else if (t === TEXT && (cur!.children === NO_CHILDREN || !isBlank(s.text))) {
      cur!.text += s.text;
    }
  }
  return root;
}

/** Parses a whole document and returns its root element. */
export function readXml(src: string, limits: Partial<ReadLimits> = DEFAULT_READ_LIMITS): XElem {
  const s = new XmlStream(src, limits);
  s.next(); // the root's start tag: the prolog is checked on the way
  const root = buildTree(s);
  if (s.next() !== EOF) throw new XmlError('XML_MALFORMED', 'content after the root element', s.pos);
  return root;
}

/** Line and column (1-based) of an offset, for error messages. */
export function lineCol(src: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let k = 0; k < offset && k < src.length; k++) {
    if (src.charCodeAt(k) === 10) {
      line++;
      last = k;
    }
  }
  return { line, col: offset - last };
}

/** The value of an attribute by expanded name. */
export function attrOf(el: XElem, ns: string, local: string): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return undefined;
}

/** Resolves a QName-valued text (such as xsi:type or a fault code) in the element's scope. */
export function resolveQNameIn(el: XElem, value: string): { ns: string; local: string } | undefined {
  const v = value.trim();
  const colon = v.indexOf(':');
  const prefix = colon < 0 ? '' : v.slice(0, colon);
  const local = colon < 0 ? v : v.slice(colon + 1);
  let top = el;
  for (let e: XElem | null = el; e; e = e.parent) {
    if (e.decls) for (const [p, uri] of e.decls) if (p === prefix) return { ns: uri, local };
    top = e;
  }
  const outer = top.inherited?.[prefix];
  if (outer !== undefined) return { ns: outer, local };
  if (prefix === '') return { ns: '', local };
  if (prefix === 'xml') return { ns: XML_NS, local };
  return undefined;
}

/**
 * The exact source of an element, made self-contained: namespace bindings it uses that
 * were declared on its ancestors are added to its start tag.
 */
export function outerXml(src: string, el: XElem): string {
  const used = new Set<string>();
  /** `bound`: prefixes declared on el or on the descendants between el and e (these shadow ancestors). */
  const visit = (e: XElem, bound: ReadonlySet<string>): void => {
    if (e.decls) bound = new Set([...bound, ...e.decls.map(([p]) => p)]);
    const use = (prefix: string): void => {
      if (!bound.has(prefix)) used.add(prefix);
    };
    use(e.qname.indexOf(':') >= 0 ? e.qname.slice(0, e.qname.indexOf(':')) : '');
    for (const a of e.attrs) {
      const c = a.qname.indexOf(':');
      if (c >= 0) use(a.qname.slice(0, c));
      const v = /^([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*$/.exec(a.value.trim());
      if (v) use(v[1]);
    }
    for (const c of e.children) visit(c, bound);
  };
  visit(el, new Set());
  let extra = '';
  for (const prefix of used) {
    if (prefix === 'xml') continue;
    const uri = resolveQNameIn(el.parent ?? el, `${prefix ? prefix + ':' : ''}x`);
    if (!uri) continue;
    if (prefix === '' && uri.ns === '') continue;
    extra += ` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${uri.ns.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
  }
  const nameEnd = el.start + 1 + el.qname.length;
  return src.slice(el.start, nameEnd) + extra + src.slice(nameEnd, el.end);
}
