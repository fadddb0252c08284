/**
 * The runtime XML tokenizer: a strict, namespace-aware pull parser over a string. Decoders
 * compiled from the schema drive it directly (no intermediate tree on the hot path);
 * readXml builds a tree with it where one is needed (faults, tests).
 *
 * Strict on purpose: a document that is not well-formed (mismatched or missing end tags,
 * duplicate attributes, unbound prefixes, text outside the root, undefined entities) is
 * refused instead of being half-read, and any DTD is refused before anything is expanded.
 */

export interface XAttr {
  ns: string;
  local: string;
  qname: string;
  value: string;
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
  /** Elements in the whole document. */
  maxElements: number;
  /** Attributes on one start tag (namespace declarations included). */
  maxAttributes: number;
  /** Characters in an element or attribute name (prefix included). */
  maxNameLength: number;
  /** Characters in one run of text or one CDATA section, as written in the document. */
  maxTextLength: number;
  /** Characters in one attribute value, as written in the document. */
  maxAttributeLength: number;
  /** Namespace declarations on one start tag. */
  maxNsDecls: number;
  /** Namespace declarations in the whole document. */
  maxNsDeclsTotal: number;
  /**
   * What the messages call each limit: the environment variable that sets it (runtime), or
   * undefined for limits that are not configurable (load time: "the load limit").
   */
  names?: Readonly<Record<LimitKey, string>>;
}

export type LimitKey = Exclude<keyof ReadLimits, 'names'>;

/** The environment variable of each runtime limit (src/config maps them). */
export const LIMIT_ENV_NAMES: Readonly<Record<LimitKey, string>> = Object.freeze({
  maxDepth: 'XML_MAX_DEPTH',
  maxElements: 'XML_MAX_ELEMENTS',
  maxAttributes: 'XML_MAX_ATTRIBUTES',
  maxNameLength: 'XML_MAX_NAME_LENGTH',
  maxTextLength: 'XML_MAX_TEXT_LENGTH',
  maxAttributeLength: 'XML_MAX_ATTRIBUTE_LENGTH',
  maxNsDecls: 'XML_MAX_NS_DECLS',
  maxNsDeclsTotal: 'XML_MAX_NS_DECLS_TOTAL',
});

/** Defaults for messages read at run time (requests, backend replies). */
export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxDepth: 256,
  maxElements: 1_000_000,
  maxAttributes: 256,
  maxNameLength: 1024,
  maxTextLength: 8_388_608,
  maxAttributeLength: 65_536,
  maxNsDecls: 64,
  maxNsDeclsTotal: 4096,
  names: LIMIT_ENV_NAMES,
});

/** Looser defaults for WSDL and XSD files read at load (big legitimate contracts exist). */
export const LOAD_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxDepth: 10_000,
  maxElements: 20_000_000,
  maxAttributes: 4096,
  maxNameLength: 8192,
  maxTextLength: 67_108_864,
  maxAttributeLength: 1_048_576,
  maxNsDecls: 4096,
  maxNsDeclsTotal: 1_000_000,
  names: undefined, // not configurable: "the load limit"
});

/**
 * For text already read within limits (a part of a document re-read on its own, or one of the
 * bridge's own documents): whatever limits the document passed, its re-reading passes too.
 */
export const UNLIMITED_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxDepth: Number.MAX_SAFE_INTEGER,
  maxElements: Number.MAX_SAFE_INTEGER,
  maxAttributes: Number.MAX_SAFE_INTEGER,
  maxNameLength: Number.MAX_SAFE_INTEGER,
  maxTextLength: Number.MAX_SAFE_INTEGER,
  maxAttributeLength: Number.MAX_SAFE_INTEGER,
  maxNsDecls: Number.MAX_SAFE_INTEGER,
  maxNsDeclsTotal: Number.MAX_SAFE_INTEGER,
  names: undefined,
});

const LIMIT_WHAT: Readonly<Record<LimitKey, string>> = {
  maxDepth: 'element depth',
  maxElements: 'element count',
  maxAttributes: 'attributes on one element',
  maxNameLength: 'name length',
  maxTextLength: 'text length',
  maxAttributeLength: 'attribute value length',
  maxNsDecls: 'namespace declarations on one element',
  maxNsDeclsTotal: 'namespace declarations in the document',
};

/** "element depth exceeds XML_MAX_DEPTH (256)", or "... exceeds the load limit (10000)". */
export function limitError(limits: ReadLimits, key: LimitKey, offset: number): XmlError {
  const name = limits.names?.[key];
  return new XmlError('XML_LIMIT', `${LIMIT_WHAT[key]} exceeds ${name ?? 'the load limit'} (${limits[key]})`, offset);
}

/** Complete limits: those given, the defaults for the rest. */
export function readLimits(limits: Partial<ReadLimits> | undefined): ReadLimits {
  if (limits === undefined || limits === DEFAULT_READ_LIMITS) return DEFAULT_READ_LIMITS;
  return { ...DEFAULT_READ_LIMITS, ...limits };
}

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

interface Name {
  qname: string;
  prefix: string;
  local: string;
}

/**
 * Interned element names: a tag whose name equals a recently seen one (checked in place, no
 * copy) reuses its strings, so the common case neither slices nor hashes. Collisions only
 * cost a miss.
 */
const INTERNED: (Name | undefined)[] = new Array(2048);

/** `src` has `s` at `pos` (a loop: faster than startsWith for the short names of tags). */
function matchAt(src: string, s: string, pos: number): boolean {
  for (let k = 0; k < s.length; k++) if (src.charCodeAt(pos + k) !== s.charCodeAt(k)) return false;
  return true;
}

/**
 * The internalised copy of a string: V8 keeps one copy of each property name, so names and
 * namespaces from documents then compare with `===` against the literals of the compiled
 * decoders by pointer, not character by character.
 */
const interned = new Map<string, string>();

export function intern(s: string): string {
  let v = interned.get(s);
  if (v === undefined) {
    v = Object.keys({ [s]: 0 })[0];
    if (interned.size < NAME_CACHE_MAX) interned.set(v, v);
  }
  return v;
}

function nameAt(src: string, start: number, end: number): Name {
  const len = end - start;
  const h = (len * 131 + src.charCodeAt(start) * 31 + src.charCodeAt(end - 1) * 7 + src.charCodeAt(start + (len >> 1))) & 2047;
  const hit = INTERNED[h];
  if (hit !== undefined && hit.qname.length === len && matchAt(src, hit.qname, start)) return hit;
  const qname = src.slice(start, end);
  const [prefix, local] = splitName(qname, start - 1);
  const name = { qname, prefix: intern(prefix), local: intern(local) };
  INTERNED[h] = name;
  return name;
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
      if ((cp < 0x20 && cp !== 9 && cp !== 10 && cp !== 13) || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff)
        throw new XmlError('XML_MALFORMED', `character reference &${ref}; is not an XML character`, offset + amp);
    } else {
      const p = PREDEFINED[ref];
      if (p === undefined) {
        throw new XmlError('XML_MALFORMED', `undefined entity &${ref.slice(0, 40)}; (only the five predefined entities and character references are allowed)`, offset + amp);
      }
      ch = p;
    }
    out += s.slice(last, amp) + ch;
    last = semi + 1;
    amp = s.indexOf('&', last);
  }
  return out + s.slice(last);
}

/** A quick test before the exact one (which looks around surrogates). */
const MAYBE_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const ATTR_SUSPECT = /[\t\n\r&\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** True when text has CR, '&', ']', a control character or a surrogate (a loop: cheaper than a regex on short text). */
function suspect(raw: string): boolean {
  for (let k = 0; k < raw.length; k++) {
    const c = raw.charCodeAt(k);
    if (c < 0x20 ? c !== 10 && c !== 9 : c === 38 || c === 93 || (c >= 0xd800 && (c <= 0xdfff || c >= 0xfffe))) return true;
  }
  return false;
}

/** Character data: line ends normalised, references decoded, forbidden characters refused. */
function textValue(raw: string, offset: number): string {
  if (!suspect(raw)) return raw; // the common case: one scan, no copy
  let s = raw;
  if (s.indexOf('\r') >= 0) s = s.replace(/\r\n?/g, '\n');
  if (MAYBE_INVALID.test(s) && INVALID_XML_CHAR.test(s)) throw new XmlError('XML_MALFORMED', 'text contains a character not allowed in XML', offset);
  if (s.indexOf(']]>') >= 0) throw new XmlError('XML_MALFORMED', "']]>' is not allowed in text", offset);
  return s.indexOf('&') >= 0 ? decodeRefs(s, offset) : s;
}

/** Attribute value normalisation (XML 1.0 §3.3.3 for CDATA attributes). */
function attrValue(raw: string, offset: number): string {
  if (!ATTR_SUSPECT.test(raw)) return raw;
  let s = raw;
  if (/[\t\n\r]/.test(s)) s = s.replace(/\r\n|[\t\n\r]/g, ' ');
  if (MAYBE_INVALID.test(s) && INVALID_XML_CHAR.test(s)) throw new XmlError('XML_MALFORMED', 'attribute value contains a character not allowed in XML', offset);
  return s.indexOf('&') >= 0 ? decodeRefs(s, offset) : s;
}

export function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** True when the text holds only XML whitespace. */
export function isBlank(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (!isSpace(s.charCodeAt(k))) return false;
  return true;
}

/** Shared by every element without attributes; never written to (frozen). */
export const NO_ATTRS = Object.freeze([]) as unknown as XAttr[];

// Not frozen (a frozen prototype would make assignments on derived scopes fail), and without a
// prototype, so an undeclared prefix such as "constructor" or "__proto__" stays unbound.
const ROOT_SCOPE: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { '': '', xml: XML_NS });

interface RawAttr {
  qname: string;
  value: string;
  at: number;
}

const NO_RAW = Object.freeze([]) as unknown as RawAttr[];

/** What `next()` returned. */
export const START = 1;
export const END = 2;
export const TEXT = 3;
export const EOF = 4;
export type Token = typeof START | typeof END | typeof TEXT | typeof EOF;

export class XmlStream {
  /** Offset of the next unread character. */
  pos: number;

  // The current start tag (after START); after END only `qname` (of the element closed) is set.
  ns = '';
  local = '';
  qname = '';
  attrs: XAttr[] = NO_ATTRS;
  /** Namespace declarations made on the current start tag, as [prefix, uri] pairs. */
  decls: [string, string][] | null = null;
  /** Offset of '<' of the current start tag. */
  start = 0;
  /** Offset just past the current start tag ('>' or '/>'). */
  tagEnd = 0;
  selfClosing = false;
  /** The current text (after TEXT), references decoded. */
  text = '';
  /** Elements open, the current one included. */
  depth = 0;

  private readonly open: string[] = [];
  private scope: Record<string, string> = ROOT_SCOPE;
  private readonly scopes: Record<string, string>[] = [];
  private pendingEnd = false;
  private replay: Token | 0 = 0;
  private rootSeen = false;
  private readonly limits: ReadLimits;
  /** Elements and namespace declarations read so far (for the document-wide limits). */
  private elements = 0;
  private nsDecls = 0;

  constructor(
    readonly src: string,
    limits?: Partial<ReadLimits>,
  ) {
    this.pos = src.charCodeAt(0) === 0xfeff ? 1 : 0;
    this.limits = readLimits(limits);
  }

  private fail(msg: string, at: number): never {
    throw new XmlError('XML_MALFORMED', msg, at);
  }

  /** Makes the next call of `next()` return the token just returned (START or END) again. */
  pushBack(token: Token): void {
    this.replay = token;
  }

  /** The namespace bound to a prefix where the stream now is. */
  lookup(prefix: string): string | undefined {
    return this.scope[prefix];
  }

  /** After START: the namespace bindings in scope around the current element (its parent's). */
  parentScope(): Readonly<Record<string, string>> {
    return this.scopes[this.scopes.length - 1];
  }

  /** Skips a comment or PI at `pos` (which points at '<'); refuses DTD markup. */
  private skipMarkup(): boolean {
    const src = this.src;
    const i = this.pos;
    const c1 = src.charCodeAt(i + 1);
    if (c1 === 63 /* ? */) {
      const close = src.indexOf('?>', i + 2);
      if (close < 0) this.fail('unterminated processing instruction', i);
      if (INVALID_XML_CHAR.test(src.slice(i + 2, close))) this.fail('processing instruction contains a character not allowed in XML', i);
      this.pos = close + 2;
      return true;
    }
    if (c1 === 33 /* ! */) {
      if (src.startsWith('<!--', i)) {
        const close = src.indexOf('-->', i + 4);
        if (close < 0) this.fail('unterminated comment', i);
        if (INVALID_XML_CHAR.test(src.slice(i + 4, close))) this.fail('comment contains a character not allowed in XML', i);
        this.pos = close + 3;
        return true;
      }
      if (/^<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/.test(src.slice(i, i + 10))) {
        throw new XmlError('XML_DTD', 'a DTD (DOCTYPE or entity declaration) is not allowed', i);
      }
    }
    return false;
  }

  /** Advances to the next start tag, end tag, text or the end of the document. */
  next(): Token {
    if (this.replay) {
      const t = this.replay;
      this.replay = 0;
      return t;
    }
    if (this.pendingEnd) {
      this.pendingEnd = false;
      return this.close(this.tagEnd);
    }
    const src = this.src;
    const len = src.length;
    for (;;) {
      const i = this.pos;
      if (this.depth === 0) {
        // Prolog or epilog: only whitespace, comments and PIs.
        const lt = src.indexOf('<', i);
        const stop = lt < 0 ? len : lt;
        for (let k = i; k < stop; k++) {
          if (!isSpace(src.charCodeAt(k))) this.fail(this.rootSeen ? 'content after the root element' : 'content before the root element', k);
        }
        if (lt < 0) {
          this.pos = len;
          if (!this.rootSeen) this.fail('no root element', 0);
          return EOF;
        }
        this.pos = lt;
        if (this.skipMarkup()) continue;
        if (this.rootSeen) this.fail('a document has exactly one root element', lt);
        this.rootSeen = true;
        return this.startTag();
      }
      if (src.charCodeAt(i) !== 60 /* < */) {
        let lt = src.indexOf('<', i);
        if (lt < 0) {
          lt = len;
          this.fail(`missing end tag </${this.open[this.open.length - 1]}>`, len);
        }
        if (lt - i > this.limits.maxTextLength) throw limitError(this.limits, 'maxTextLength', i);
        this.text = textValue(src.slice(i, lt), i);
        this.pos = lt;
        return TEXT;
      }
      const c1 = src.charCodeAt(i + 1);
      if (c1 === 47 /* / */) {
        const open = this.open[this.open.length - 1];
        let close = i + 2 + open.length;
        if (!(src.charCodeAt(close) === 62 && matchAt(src, open, i + 2))) {
          close = src.indexOf('>', i + 2);
          if (close < 0) this.fail('unterminated end tag', i);
          const name = src.slice(i + 2, close).trimEnd();
          if (name !== open) this.fail(`end tag </${name}> does not match <${open}>`, i);
        }
        return this.close(close + 1);
      }
      if (c1 === 33 || c1 === 63) {
        if (src.startsWith('<![CDATA[', i)) {
          const close = src.indexOf(']]>', i + 9);
          if (close < 0) this.fail('unterminated CDATA section', i);
          if (close - i - 9 > this.limits.maxTextLength) throw limitError(this.limits, 'maxTextLength', i);
          let data = src.slice(i + 9, close);
          if (data.indexOf('\r') >= 0) data = data.replace(/\r\n?/g, '\n');
          if (INVALID_XML_CHAR.test(data)) this.fail('CDATA contains a character not allowed in XML', i);
          this.text = data;
          this.pos = close + 3;
          return TEXT;
        }
        if (this.skipMarkup()) continue;
        this.fail('invalid markup', i);
      }
      return this.startTag();
    }
  }

  private close(after: number): Token {
    this.qname = this.open.pop()!;
    this.scope = this.scopes.pop()!;
    this.depth--;
    this.pos = after;
    return END;
  }

  private startTag(): Token {
    const src = this.src;
    const len = src.length;
    const start = this.pos;
    let k = start + 1;
    while (k < len) {
      const c = src.charCodeAt(k);
      if (isSpace(c) || c === 62 /* > */ || c === 47 /* / */) break;
      k++;
    }
    if (k === start + 1) this.fail('missing element name', start);
    const limits = this.limits;
    if (k - start - 1 > limits.maxNameLength) throw limitError(limits, 'maxNameLength', start + 1);
    if (++this.elements > limits.maxElements) throw limitError(limits, 'maxElements', start);
    if (this.depth + 1 > limits.maxDepth) throw limitError(limits, 'maxDepth', start);
    const name = nameAt(src, start + 1, k);
    const qname = name.qname;
    let raw: RawAttr[] = NO_RAW;
    let seenNames: Set<string> | undefined;
    let selfClosing = false;
    for (;;) {
      while (k < len && isSpace(src.charCodeAt(k))) k++;
      if (k >= len) this.fail(`unterminated start tag <${qname}`, start);
      const c = src.charCodeAt(k);
      if (c === 62) {
        k++;
        break;
      }
      if (c === 47) {
        if (src.charCodeAt(k + 1) !== 62) this.fail("expected '>' after '/'", k);
        selfClosing = true;
        k += 2;
        break;
      }
      if (raw.length > 0 && !isSpace(src.charCodeAt(k - 1))) this.fail('attributes must be separated by whitespace', k);
      const nameStart = k;
      while (k < len) {
        const ch = src.charCodeAt(k);
        if (ch === 61 /* = */ || isSpace(ch) || ch === 62 || ch === 47) break;
        k++;
      }
      if (k - nameStart > limits.maxNameLength) throw limitError(limits, 'maxNameLength', nameStart);
      if (raw.length >= limits.maxAttributes) throw limitError(limits, 'maxAttributes', nameStart);
      const aname = src.slice(nameStart, k);
      while (k < len && isSpace(src.charCodeAt(k))) k++;
      if (src.charCodeAt(k) !== 61) this.fail(`attribute ${aname || '?'} has no value`, k);
      k++;
      while (k < len && isSpace(src.charCodeAt(k))) k++;
      const q = src.charCodeAt(k);
      if (q !== 34 && q !== 39) this.fail(`attribute ${aname} value must be quoted`, k);
      const vend = src.indexOf(q === 34 ? '"' : "'", k + 1);
      if (vend < 0) this.fail(`unterminated value of attribute ${aname}`, k);
      if (vend - k - 1 > limits.maxAttributeLength) throw limitError(limits, 'maxAttributeLength', k + 1);
      const rawValue = src.slice(k + 1, vend);
      if (rawValue.indexOf('<') >= 0) this.fail(`'<' is not allowed in the value of attribute ${aname}`, k);
      // Few attributes: a scan; many: a set, so a hostile tag cannot make this quadratic.
      if (raw.length < 16) {
        for (const a of raw) if (a.qname === aname) this.fail(`duplicate attribute ${aname}`, nameStart);
      } else {
        seenNames ??= new Set(raw.map((a) => a.qname));
        if (seenNames.has(aname)) this.fail(`duplicate attribute ${aname}`, nameStart);
        seenNames.add(aname);
      }
      if (raw === NO_RAW) raw = [];
      raw.push({ qname: aname, value: attrValue(rawValue, k + 1), at: nameStart });
      k = vend + 1;
    }
    // Namespace declarations first, then names.
    let decls: [string, string][] | null = null;
    if (raw.length > 0) for (const a of raw) {
      if (a.qname === 'xmlns' || a.qname.startsWith('xmlns:')) {
        const prefix = a.qname === 'xmlns' ? '' : a.qname.slice(6);
        if (a.qname !== 'xmlns') splitName(a.qname, a.at); // refuses "xmlns:" and "xmlns:a:b"
        if (prefix && a.value === '') this.fail(`namespace prefix ${prefix} cannot be undeclared`, a.at);
        if (prefix === 'xmlns' || (prefix === 'xml' && a.value !== XML_NS)) this.fail(`prefix ${prefix} cannot be declared`, a.at);
        if (prefix !== 'xml' && (a.value === XML_NS || a.value === XMLNS_NS)) this.fail(`namespace ${a.value} cannot be bound to ${prefix || 'the default namespace'}`, a.at);
        if ((decls?.length ?? 0) >= limits.maxNsDecls) throw limitError(limits, 'maxNsDecls', a.at);
        if (++this.nsDecls > limits.maxNsDeclsTotal) throw limitError(limits, 'maxNsDeclsTotal', a.at);
        (decls ??= []).push([prefix, intern(a.value)]);
      }
    }
    this.scopes.push(this.scope);
    let scope = this.scope;
    if (decls) {
      scope = Object.create(scope) as Record<string, string>;
      for (const [p, uri] of decls) scope[p] = uri;
      this.scope = scope;
    }
    const ns = scope[name.prefix];
    if (ns === undefined) this.fail(`prefix ${name.prefix} of <${qname}> is not bound to a namespace`, start);
    let attrs: XAttr[] = NO_ATTRS;
    if (raw.length > 0) {
      attrs = [];
      let expanded: Set<string> | undefined;
      for (const a of raw) {
        if (a.qname === 'xmlns' || a.qname.startsWith('xmlns:')) continue;
        const [ap, al] = splitName(a.qname, a.at);
        let ans = '';
        if (ap) {
          const bound = scope[ap];
          if (bound === undefined) this.fail(`prefix ${ap} of attribute ${a.qname} is not bound to a namespace`, a.at);
          ans = bound;
          if (ans === XMLNS_NS) this.fail(`attribute ${a.qname} uses the xmlns namespace`, a.at);
          const key = `{${ans}}${al}`;
          if (expanded?.has(key) || (!expanded && attrs.some((b) => b.ns === ans && b.local === al))) this.fail(`duplicate attribute ${key}`, a.at);
          if (raw.length >= 16) (expanded ??= new Set(attrs.filter((b) => b.ns).map((b) => `{${b.ns}}${b.local}`))).add(key);
        }
        attrs.push({ ns: ans, local: al, qname: a.qname, value: a.value });
      }
      if (attrs.length === 0) attrs = NO_ATTRS;
    }
    this.ns = ns;
    this.local = name.local;
    this.qname = qname;
    this.attrs = attrs;
    this.decls = decls;
    this.start = start;
    this.tagEnd = k;
    this.selfClosing = selfClosing;
    this.open.push(qname);
    this.depth++;
    this.pos = k;
    if (selfClosing) this.pendingEnd = true;
    return START;
  }

  /**
   * After START: when the element holds only plain text (or nothing) and its end tag follows,
   * consumes both and returns the text; otherwise consumes nothing and returns undefined (the
   * caller then reads the content token by token). The common leaf, `<a>text</a>`, without the
   * two extra tokens.
   */
  leafText(): string | undefined {
    if (this.replay !== 0) return undefined;
    if (this.pendingEnd) {
      this.pendingEnd = false;
      this.close(this.tagEnd);
      return '';
    }
    const src = this.src;
    const i = this.pos;
    const lt = src.indexOf('<', i);
    if (lt < 0 || src.charCodeAt(lt + 1) !== 47 /* / */) return undefined;
    if (lt - i > this.limits.maxTextLength) throw limitError(this.limits, 'maxTextLength', i);
    const open = this.open[this.open.length - 1];
    const close = lt + 2 + open.length;
    if (src.charCodeAt(close) !== 62 || !matchAt(src, open, lt + 2)) return undefined;
    const text = lt === i ? '' : textValue(src.slice(i, lt), i);
    this.close(close + 1);
    return text;
  }

  /** After START: the value of an attribute by expanded name. */
  attr(ns: string, local: string): string | undefined {
    const attrs = this.attrs;
    for (let i = 0; i < attrs.length; i++) if (attrs[i].local === local && attrs[i].ns === ns) return attrs[i].value;
    return undefined;
  }

  /** Consumes the rest of the element the stream is in, up to and including its end tag. */
  skipContent(): void {
    let level = 0;
    for (;;) {
      const t = this.next();
      if (t === START) level++;
      else if ((t === END && level-- === 0) || t === EOF) return;
    }
  }

  /** After START: consumes the element, its content and its end tag. */
  skipElement(): void {
    const depth = this.depth;
    while (this.depth >= depth) this.next();
  }

  /**
   * After START: consumes the element and returns its exact source, made self-contained:
   * namespace bindings it uses that were declared on its ancestors are added to its start tag.
   */
  captureElement(): string {
    const start = this.start;
    const qname = this.qname;
    const outer = this.scopes[this.scopes.length - 1];
    const depth = this.depth;
    const used = new Set<string>();
    const bound: Set<string>[] = [];
    const note = (prefix: string): void => {
      for (const b of bound) if (b.has(prefix)) return;
      used.add(prefix);
    };
    // Visits the current start tag (the captured element, then each descendant).
    const visit = (): void => {
      bound.push(new Set((this.decls ?? []).map(([p]) => p)));
      const c = this.qname.indexOf(':');
      note(c < 0 ? '' : this.qname.slice(0, c));
      for (const a of this.attrs) {
        const ac = a.qname.indexOf(':');
        if (ac >= 0) note(a.qname.slice(0, ac));
        const v = /^([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*$/.exec(a.value.trim());
        if (v) note(v[1]);
      }
    };
    visit();
    while (this.depth >= depth) {
      const t = this.next();
      if (t === START) visit();
      else if (t === END) bound.pop();
    }
    let extra = '';
    for (const prefix of used) {
      if (prefix === 'xml') continue;
      const uri = outer[prefix];
      if (uri === undefined || (prefix === '' && uri === '')) continue;
      extra += ` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${uri.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
    }
    const nameEnd = start + 1 + qname.length;
    return this.src.slice(start, nameEnd) + extra + this.src.slice(nameEnd, this.pos);
  }
}
