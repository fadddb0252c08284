/**
 * The runtime XML reader: a strict, namespace-aware, non-validating parser for the messages
 * the bridge receives (SOAP replies, and envelopes on the SOAP facade). It builds a small
 * tree whose elements remember their source offsets, so content matched by xs:any can be
 * handed on exactly as received.
 *
 * Strict on purpose: a document that is not well-formed (mismatched or missing end tags,
 * duplicate attributes, unbound prefixes, text outside the root, undefined entities) is
 * refused instead of being half-read, and any DOCTYPE is refused before anything is expanded.
 */

export interface XAttr {
  ns: string;
  local: string;
  qname: string;
  value: string;
}

export interface XElem {
  ns: string;
  local: string;
  qname: string;
  attrs: XAttr[];
  children: XElem[];
  /** All character data directly inside the element, entities decoded, line ends normalised. */
  text: string;
  /** Offsets of '<' of the start tag and just past the end tag (or '/>'). */
  start: number;
  end: number;
  parent: XElem | null;
  /** Namespace declarations made on this element, as [prefix, uri] pairs ('' = default). */
  decls: [string, string][] | null;
}

export type XmlErrorCode = 'XML_MALFORMED' | 'XML_DTD' | 'XML_LIMIT';

export class XmlError extends Error {
  constructor(
    readonly code: XmlErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'XmlError';
  }
}

export interface ReadLimits {
  /** Deepest element nesting accepted. */
  maxDepth: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxDepth: 256 };

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Characters XML 1.0 forbids anywhere (also as character references), and lone surrogates. */
export const INVALID_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const NAME_RE = /^[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDBFF][A-Za-z0-9_.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF]*$/;

/** qname -> [prefix, local]; names repeat, so each is checked and split once. Bounded. */
const nameCache = new Map<string, [string, string]>();
const NAME_CACHE_MAX = 20000;

function splitName(qname: string, offset: number): [string, string] {
  const hit = nameCache.get(qname);
  if (hit) return hit;
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const local = colon < 0 ? qname : qname.slice(colon + 1);
  if (!NAME_RE.test(local) || (colon >= 0 && !NAME_RE.test(prefix)) || local.indexOf(':') >= 0)
    throw new XmlError('XML_MALFORMED', `invalid name "${qname.slice(0, 60)}"`, offset);
  const parts: [string, string] = [prefix, local];
  if (nameCache.size < NAME_CACHE_MAX) nameCache.set(qname, parts);
  return parts;
}

// Null prototype: "&constructor;" must not find Object.prototype.constructor.
const PREDEFINED: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  lt: '<',
  gt: '>',
  amp: '&',
  apos: "'",
  quot: '"',
});

function decodeRefs(s: string, offset: number): string {
  let out = '';
  let last = 0;
  let amp = s.indexOf('&');
  while (amp >= 0) {
    const semi = s.indexOf(';', amp);
    if (semi < 0) throw new XmlError('XML_MALFORMED', "'&' must start a reference (write &amp;)", offset + amp);
    const ref = s.slice(amp + 1, semi);
    let ch: string;
    if (ref.charCodeAt(0) === 35 /* # */) {
      const hex = ref.charCodeAt(1) === 120; /* x */
      const digits = ref.slice(hex ? 2 : 1);
      const cp = digits && (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? parseInt(digits, hex ? 16 : 10) : NaN;
      if (!(cp >= 0 && cp <= 0x10ffff)) throw new XmlError('XML_MALFORMED', `invalid character reference &${ref};`, offset + amp);
      ch = String.fromCodePoint(cp);
      if (INVALID_XML_CHAR.test(ch) || (cp >= 0xd800 && cp <= 0xdfff))
        throw new XmlError('XML_MALFORMED', `character reference &${ref}; is not an XML character`, offset + amp);
    } else {
      const p = PREDEFINED[ref];
      if (p === undefined) {
        throw new XmlError(
          'XML_MALFORMED',
          `undefined entity &${ref.slice(0, 40)}; (only the five predefined entities and character references are allowed)`,
          offset + amp,
        );
      }
      ch = p;
    }
    out += s.slice(last, amp) + ch;
    last = semi + 1;
    amp = s.indexOf('&', last);
  }
  return out + s.slice(last);
}

/** Anything in text that needs a closer look: CR, '&', ']', and characters XML may forbid. */
const TEXT_SUSPECT = /[\r&\]\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ATTR_SUSPECT = /[\t\n\r&\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Character data: line ends normalised, references decoded, forbidden characters refused. */
function textValue(raw: string, offset: number): string {
  if (!TEXT_SUSPECT.test(raw)) return raw; // the common case: one scan, no copy
  let s = raw;
  if (s.indexOf('\r') >= 0) s = s.replace(/\r\n?/g, '\n');
  if (INVALID_XML_CHAR.test(s)) throw new XmlError('XML_MALFORMED', 'text contains a character not allowed in XML', offset);
  if (s.indexOf(']]>') >= 0) throw new XmlError('XML_MALFORMED', "']]>' is not allowed in text", offset);
  return s.indexOf('&') >= 0 ? decodeRefs(s, offset) : s;
}

/** Attribute value normalisation (XML 1.0 §3.3.3 for CDATA attributes). */
function attrValue(raw: string, offset: number): string {
  if (!ATTR_SUSPECT.test(raw)) return raw;
  let s = raw;
  if (/[\t\n\r]/.test(s)) s = s.replace(/\r\n|[\t\n\r]/g, ' ');
  if (INVALID_XML_CHAR.test(s)) throw new XmlError('XML_MALFORMED', 'attribute value contains a character not allowed in XML', offset);
  return s.indexOf('&') >= 0 ? decodeRefs(s, offset) : s;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

// Not frozen: a frozen prototype would make assignments on derived scopes fail.
// Null prototype: an undeclared prefix such as "constructor" or "__proto__" must stay unbound.
/** Shared by every element without children or attributes; never written to (frozen). */
const NO_CHILDREN = Object.freeze([]) as unknown as XElem[];
const NO_ATTRS = Object.freeze([]) as unknown as XAttr[];

const ROOT_SCOPE: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  '': '',
  xml: XML_NS,
});

interface RawAttr {
  qname: string;
  value: string;
  at: number;
}

const NO_RAW = Object.freeze([]) as unknown as RawAttr[];

function onlySpace(src: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(src.charCodeAt(k))) return false;
  return true;
}

/** Parses a whole document and returns its root element. */
export function readXml(src: string, limits: ReadLimits = DEFAULT_READ_LIMITS): XElem {
  const len = src.length;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  let root: XElem | null = null;
  let cur: XElem | null = null;
  let scope = ROOT_SCOPE;
  const scopes: Record<string, string>[] = [];
  let depth = 0;

  const fail = (msg: string, at: number): never => {
    throw new XmlError('XML_MALFORMED', msg, at);
  };

  /** Skips a comment, PI or DOCTYPE at `i` (which points at '<'); returns true when it did. */
  const skipMarkup = (): boolean => {
    const c1 = src.charCodeAt(i + 1);
    if (c1 === 63 /* ? */) {
      const close = src.indexOf('?>', i + 2);
      if (close < 0) fail('unterminated processing instruction', i);
      if (INVALID_XML_CHAR.test(src.slice(i + 2, close))) fail('processing instruction contains a character not allowed in XML', i);
      i = close + 2;
      return true;
    }
    if (c1 === 33 /* ! */) {
      if (src.startsWith('<!--', i)) {
        const close = src.indexOf('-->', i + 4);
        if (close < 0) fail('unterminated comment', i);
        if (INVALID_XML_CHAR.test(src.slice(i + 4, close))) fail('comment contains a character not allowed in XML', i);
        i = close + 3;
        return true;
      }
      if (/^<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/.test(src.slice(i, i + 10))) {
        throw new XmlError('XML_DTD', 'a DTD (DOCTYPE or entity declaration) is not allowed', i);
      }
    }
    return false;
  };

  while (i < len) {
    const lt = src.indexOf('<', i);
    if (cur === null) {
      // Prolog or epilog: only whitespace, comments and PIs.
      const stop = lt < 0 ? len : lt;
      for (let k = i; k < stop; k++) {
        if (!isSpace(src.charCodeAt(k))) fail(root ? 'content after the root element' : 'content before the root element', k);
      }
      if (lt < 0) break;
      i = lt;
      if (skipMarkup()) continue;
      if (root) fail('a document has exactly one root element', i);
    } else if (lt !== i) {
      if (lt < 0) fail(`missing end tag </${cur.qname}>`, len);
      // Whitespace between child elements is kept out of the parent's text (it says nothing).
      if (cur.children === NO_CHILDREN || !onlySpace(src, i, lt)) cur.text += textValue(src.slice(i, lt), i);
      i = lt;
      continue;
    }
    // At '<' inside an element, or the root's start tag.
    const c1 = src.charCodeAt(i + 1);
    if (cur !== null && (c1 === 33 || c1 === 63)) {
      if (src.startsWith('<![CDATA[', i)) {
        const close = src.indexOf(']]>', i + 9);
        if (close < 0) fail('unterminated CDATA section', i);
        let data = src.slice(i + 9, close);
        if (data.indexOf('\r') >= 0) data = data.replace(/\r\n?/g, '\n');
        if (INVALID_XML_CHAR.test(data)) fail('CDATA contains a character not allowed in XML', i);
        cur.text += data;
        i = close + 3;
        continue;
      }
      if (skipMarkup()) continue;
      fail('invalid markup', i);
    }
    if (c1 === 47 /* / */) {
      if (cur === null) fail('end tag without start tag', i);
      const open = cur!.qname;
      let close = i + 2 + open.length;
      if (!(src.charCodeAt(close) === 62 && src.startsWith(open, i + 2))) {
        close = src.indexOf('>', i + 2);
        if (close < 0) fail('unterminated end tag', i);
        const name = src.slice(i + 2, close).trimEnd();
        if (name !== open) fail(`end tag </${name}> does not match <${open}>`, i);
      }
      cur!.end = close + 1;
      cur = cur!.parent;
      scope = scopes.pop()!;
      depth--;
      i = close + 1;
      continue;
    }
    // Start tag.
    const start = i;
    let k = i + 1;
    while (k < len) {
      const c = src.charCodeAt(k);
      if (isSpace(c) || c === 62 /* > */ || c === 47 /* / */) break;
      k++;
    }
    const qname = src.slice(i + 1, k);
    if (!qname) fail('missing element name', i);
    let raw: RawAttr[] = NO_RAW;
    let seenNames: Set<string> | undefined;
    let selfClosing = false;
    for (;;) {
      while (k < len && isSpace(src.charCodeAt(k))) k++;
      if (k >= len) fail(`unterminated start tag <${qname}`, start);
      const c = src.charCodeAt(k);
      if (c === 62) {
        k++;
        break;
      }
      if (c === 47) {
        if (src.charCodeAt(k + 1) !== 62) fail("expected '>' after '/'", k);
        selfClosing = true;
        k += 2;
        break;
      }
      if (raw.length > 0 && !isSpace(src.charCodeAt(k - 1))) fail('attributes must be separated by whitespace', k);
      const nameStart = k;
      while (k < len) {
        const ch = src.charCodeAt(k);
        if (ch === 61 /* = */ || isSpace(ch) || ch === 62 || ch === 47) break;
        k++;
      }
      const aname = src.slice(nameStart, k);
      while (k < len && isSpace(src.charCodeAt(k))) k++;
      if (src.charCodeAt(k) !== 61) fail(`attribute ${aname || '?'} has no value`, k);
      k++;
      while (k < len && isSpace(src.charCodeAt(k))) k++;
      const q = src.charCodeAt(k);
      if (q !== 34 && q !== 39) fail(`attribute ${aname} value must be quoted`, k);
      const vend = src.indexOf(q === 34 ? '"' : "'", k + 1);
      if (vend < 0) fail(`unterminated value of attribute ${aname}`, k);
      const rawValue = src.slice(k + 1, vend);
      if (rawValue.indexOf('<') >= 0) fail(`'<' is not allowed in the value of attribute ${aname}`, k);
      // Few attributes: a scan; many: a set, so a hostile tag cannot make this quadratic.
      if (raw.length < 16) {
        for (const a of raw) if (a.qname === aname) fail(`duplicate attribute ${aname}`, nameStart);
      } else {
        seenNames ??= new Set(raw.map((a) => a.qname));
        if (seenNames.has(aname)) fail(`duplicate attribute ${aname}`, nameStart);
        seenNames.add(aname);
      }
      if (raw === NO_RAW) raw = [];
      raw.push({ qname: aname, value: attrValue(rawValue, k + 1), at: nameStart });
      k = vend + 1;
    }
    if (++depth > limits.maxDepth) {
      throw new XmlError('XML_LIMIT', `elements nest deeper than ${limits.maxDepth} levels`, start);
    }
    // Namespace declarations first, then names.
    let decls: [string, string][] | null = null;
    for (const a of raw) {
      if (a.qname === 'xmlns' || a.qname.startsWith('xmlns:')) {
        const prefix = a.qname === 'xmlns' ? '' : a.qname.slice(6);
        if (a.qname !== 'xmlns') splitName(a.qname, a.at); // refuses "xmlns:" and "xmlns:a:b"
        if (prefix && a.value === '') fail(`namespace prefix ${prefix} cannot be undeclared`, a.at);
        if (prefix === 'xmlns' || (prefix === 'xml' && a.value !== XML_NS)) fail(`prefix ${prefix} cannot be declared`, a.at);
        if (prefix !== 'xml' && (a.value === XML_NS || a.value === XMLNS_NS)) fail(`namespace ${a.value} cannot be bound to ${prefix || 'the default namespace'}`, a.at);
        (decls ??= []).push([prefix, a.value]);
      }
    }
    scopes.push(scope);
    if (decls) {
      scope = Object.create(scope) as Record<string, string>;
      for (const [p, uri] of decls) scope[p] = uri;
    }
    const [prefix, local] = splitName(qname, start);
    const ns = scope[prefix];
    if (ns === undefined) fail(`prefix ${prefix} of <${qname}> is not bound to a namespace`, start);
    const attrs: XAttr[] = raw.length === 0 ? NO_ATTRS : [];
    let expanded: Set<string> | undefined;
    for (const a of raw) {
      if (a.qname === 'xmlns' || a.qname.startsWith('xmlns:')) continue;
      const [ap, al] = splitName(a.qname, a.at);
      let ans = '';
      if (ap) {
        const bound = scope[ap];
        if (bound === undefined) fail(`prefix ${ap} of attribute ${a.qname} is not bound to a namespace`, a.at);
        ans = bound!;
        if (ans === XMLNS_NS) fail(`attribute ${a.qname} uses the xmlns namespace`, a.at);
        const key = `{${ans}}${al}`;
        if (expanded?.has(key) || (!expanded && attrs.some((b) => b.ns === ans && b.local === al))) fail(`duplicate attribute ${key}`, a.at);
        if (raw.length >= 16) (expanded ??= new Set(attrs.filter((b) => b.ns).map((b) => `{${b.ns}}${b.local}`))).add(key);
      }
      attrs.push({ ns: ans, local: al, qname: a.qname, value: a.value });
    }
    const el: XElem = {
      ns: ns!,
      local,
      qname,
      attrs,
      children: NO_CHILDREN,
      text: '',
      start,
      end: k,
      parent: cur,
      decls,
    };
    if (!cur) root = el;
    else if (cur.children === NO_CHILDREN) cur.children = [el];
    else cur.children.push(el);
    i = k;
    if (selfClosing) {
      scope = scopes.pop()!;
      depth--;
    } else cur = el;
  }
  if (cur !== null) fail(`missing end tag </${(cur as XElem).qname}>`, len);
  if (!root) fail('no root element', 0);
  return root!;
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
  for (let e: XElem | null = el; e; e = e.parent) {
    if (e.decls) for (const [p, uri] of e.decls) if (p === prefix) return { ns: uri, local };
  }
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
