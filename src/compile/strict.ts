/**
 * Strict validation mode (`validation: strict` in mapping.yaml): the SOAP Body's XML itself is
 * validated against the WSDL's schemas by libxml2 (libxml2-wasm), besides the fast path (the
 * compiled decoders and ajv on the JSON form).
 *
 * At load, one schema set is built from the bundle's documents: each inline schema of each WSDL
 * becomes a standalone document (with the namespace bindings it inherits from the WSDL), the
 * XSD files are served as they were read, and a generated wrapper schema imports each target
 * namespace (through a generated schema that includes them when several documents share one).
 * libxml2 compiles that set once; each message then has its Body's child elements validated,
 * and each error is given a JSON Pointer derived from the element path libxml2 reports.
 *
 * The compiled schema lives in wasm memory: it is freed when the bundle is retired (unloaded or
 * replaced by a reload) and no request holds it any more.
 */
import path from 'node:path';
import type { Violation } from './codec';
import type { Diagnostics } from './diagnostics';
import { libxml, libxmlUnavailable, pathOfUrl, urlOfPath, withDocuments, type Libxml } from './libxml';
import type { LoadedDocuments } from './loader';
import { WSDL_NS } from './loader';
import type { MessageShape } from '../model/operation';
import type { ComplexType, Particle, SourcePos, XsdType } from '../model/xsd';
import { LOAD_READ_LIMITS, lineCol, readXml, type XElem } from '../xml/reader';
import { UNLIMITED_READ_LIMITS } from '../xml/stream';
import { attr, XSD_NS } from '../xml/source';

type XsdValidator = InstanceType<Libxml['XsdValidator']>;
type XmlElement = InstanceType<Libxml['XmlElement']>;

const WRAPPER_NS = 'urn:soap-bridge:strict:wrapper';

/** Strips a BOM and the XML declaration (its encoding no longer applies: libxml2 gets UTF-8); lines stay where they were. */
export function withoutDeclaration(text: string): string {
  return text.replace(/^\uFEFF?<\?xml\s[^?]*\?>/, '');
}

function escapeAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

/** Where a generated document's lines come from, for load diagnostics. */
interface Origin {
  file: string;
  lineOffset: number;
}

interface SchemaSetText {
  wrapper: string;
  wrapperFile: string;
  docs: Map<string, string>;
  origins: Map<string, Origin>;
}

/** The bindings in scope on `el` that it does not declare itself, as attributes to add to its start tag. */
function inheritedDeclarations(el: XElem): string {
  const own = new Set((el.decls ?? []).map(([p]) => p));
  const scope = new Map<string, string>();
  for (let e = el.parent; e; e = e.parent) {
    for (const [p, uri] of e.decls ?? []) if (!scope.has(p)) scope.set(p, uri);
  }
  let out = '';
  for (const [p, uri] of scope) {
    if (own.has(p) || p === 'xml') continue;
    out += p ? ` xmlns:${p}="${escapeAttr(uri)}"` : ` xmlns="${escapeAttr(uri)}"`;
  }
  return out;
}

/** The prefix (with its colon) of an element's qualified name, for writing siblings in its namespace. */
function prefixOf(el: XElem): string {
  const colon = el.qname.indexOf(':');
  return colon < 0 ? '' : el.qname.slice(0, colon + 1);
}

/** The inline schemas of a WSDL, each as a standalone document; `namespaces`: the target namespaces of the whole set. */
function inlineSchemas(wsdlFile: string, text: string, namespaces: ReadonlySet<string>): { file: string; text: string; line: number; tns: string }[] {
  const root = readXml(text, LOAD_READ_LIMITS);
  const out: { file: string; text: string; line: number; tns: string }[] = [];
  for (const types of root.children) {
    if (types.ns !== WSDL_NS || types.local !== 'types') continue;
    for (const s of types.children) {
      if (s.ns !== XSD_NS || s.local !== 'schema') continue;
      const src = text.slice(s.start, s.end);
      const nameEnd = 1 + s.qname.length;
      let standalone = src.slice(0, nameEnd) + inheritedDeclarations(s) + src.slice(nameEnd);
      const tns = s.attrs.find((a) => a.ns === '' && a.local === 'targetNamespace')?.value ?? '';
      // Inline schemas often use each other's names without importing them (WSDL tools read
      // them as one set); libxml2 wants the import, which the other schemas then satisfy.
      const imported = new Set(s.children.filter((c) => c.ns === XSD_NS && c.local === 'import').map((c) => c.attrs.find((a) => a.ns === '' && a.local === 'namespace')?.value ?? ''));
      const missing = [...namespaces].filter((ns) => ns !== tns && !imported.has(ns));
      if (missing.length && s.children.length > 0) {
        // Before the first child: imports may follow annotations, and must precede definitions.
        const at = standalone.length - src.length + (s.children[0].start - s.start);
        const imports = missing.map((ns) => `<${prefixOf(s)}import namespace="${escapeAttr(ns)}"/>`).join('');
        standalone = standalone.slice(0, at) + imports + standalone.slice(at);
      }
      out.push({ file: `${wsdlFile}.schema-${out.length + 1}.xsd`, text: standalone, line: lineCol(text, s.start).line, tns });
    }
  }
  return out;
}

/** The schema set as documents libxml2 can read, and the wrapper that pulls it all in. */
function schemaSetText(docs: LoadedDocuments): SchemaSetText {
  const texts = new Map<string, string>();
  const origins = new Map<string, Origin>();
  for (const [file, text] of docs.texts) {
    texts.set(file, withoutDeclaration(text));
    origins.set(file, { file, lineOffset: 0 });
  }
  const wsdlFiles = new Set(docs.wsdls.map((w) => w.file));
  // Schema documents that another one includes come in through it (chameleon includes take the includer's namespace).
  const included = new Set<string>();
  for (const s of docs.schemas) {
    for (const c of s.node.children) {
      if (c.ns !== XSD_NS || !(c.local === 'include' || c.local === 'redefine' || c.local === 'override')) continue;
      const loc = attr(c, 'schemaLocation');
      if (!loc || /^[a-z][a-z0-9+.-]*:/i.test(loc)) continue;
      let rel = loc;
      try {
        rel = decodeURI(loc);
      } catch {
        /* as written */
      }
      included.add(path.resolve(path.dirname(s.file), rel));
    }
  }
  const namespaces = new Set(docs.schemas.map((s) => s.targetNamespace).filter((ns) => ns !== ''));
  const roots = new Map<string, string[]>();
  const addRoot = (tns: string, file: string): void => {
    const list = roots.get(tns) ?? [];
    if (!list.includes(file)) list.push(file);
    roots.set(tns, list);
  };
  for (const w of docs.wsdls) {
    const text = docs.texts.get(w.file);
    if (text === undefined) continue;
    for (const s of inlineSchemas(w.file, text, namespaces)) {
      texts.set(s.file, s.text);
      origins.set(s.file, { file: w.file, lineOffset: s.line - 1 });
      addRoot(s.tns, s.file);
    }
  }
  for (const s of docs.schemas) {
    if (wsdlFiles.has(s.file) || s.chameleon || included.has(s.file)) continue;
    addRoot(s.targetNamespace, s.file);
  }
  const dir = path.dirname(docs.entry);
  const wrapperFile = path.join(dir, '.soap-bridge-strict.xsd');
  let imports = '';
  let k = 0;
  for (const [tns, files] of roots) {
    let location = files[0];
    if (files.length > 1) {
      location = path.join(dir, `.soap-bridge-strict-${++k}.xsd`);
      const tnsAttr = tns ? ` targetNamespace="${escapeAttr(tns)}"` : '';
      const includes = files.map((f) => `<xs:include schemaLocation="${escapeAttr(urlOfPath(f))}"/>`).join('');
      texts.set(location, `<xs:schema xmlns:xs="${XSD_NS}"${tnsAttr}>${includes}</xs:schema>`);
      origins.set(location, { file: docs.entry, lineOffset: 0 });
    }
    const nsAttr = tns ? ` namespace="${escapeAttr(tns)}"` : '';
    imports += `<xs:import${nsAttr} schemaLocation="${escapeAttr(urlOfPath(location))}"/>`;
  }
  const wrapper = `<xs:schema xmlns:xs="${XSD_NS}" targetNamespace="${WRAPPER_NS}">${imports}</xs:schema>`;
  return { wrapper, wrapperFile, docs: texts, origins };
}

let alive = 0;

/** How many compiled strict schemas hold wasm memory now (for tests: reloads must not leak). */
export function strictSchemasAlive(): number {
  return alive;
}

/** A Body element's path as libxml2 reports it, resolved in our own tree of the same text. */
function elementAt(root: XElem, xpath: string): XElem[] | undefined {
  const steps = xpath.split('/').filter(Boolean);
  const chain: XElem[] = [];
  let cur: XElem | undefined;
  for (const step of steps) {
    const m = /^(\*|[^[\]]+)(?:\[(\d+)\])?$/.exec(step);
    if (!m) return undefined;
    const index = m[2] ? Number(m[2]) : 1;
    const candidates = cur ? cur.children.filter((c) => m[1] === '*' || c.qname === m[1]) : [root];
    const next = m[1] === '*' && cur ? candidates[index - 1] : candidates.filter((c) => m[1] === '*' || c.qname === m[1])[index - 1];
    if (!next) return undefined;
    chain.push(next);
    cur = next;
  }
  return chain;
}

function findParticle(p: Particle, ns: string, local: string): Particle | undefined {
  if (p.kind === 'element') return p.decl.name.local === local && p.decl.name.ns === ns ? p : undefined;
  if (p.kind === 'any') return undefined;
  for (const item of p.items) {
    const found = findParticle(item, ns, local);
    if (found) return found;
  }
  return undefined;
}

function hasElementNamed(p: Particle, local: string): boolean {
  if (p.kind === 'element') return p.decl.name.local === local;
  return p.kind !== 'any' && p.items.some((i) => hasElementNamed(i, local));
}

function hasAny(p: Particle): boolean {
  return p.kind === 'any' || (p.kind !== 'element' && p.items.some(hasAny));
}

/** A libxml2 error's element path (and attribute, from its message) as a JSON Pointer into the message's JSON form. */
export function pointerOf(body: XElem[], shape: MessageShape | undefined, message: string): string {
  const out: string[] = [];
  let type: XsdType | undefined = shape?.type;
  // wrapped and rpc: the Body's element is the wrapper, its content is the JSON.
  const elems = shape?.wrapper ? body.slice(1) : body;
  let lost = false;
  for (const e of elems) {
    const ct: ComplexType | undefined = type?.kind === 'complex' && type.content.kind === 'elements' ? type : undefined;
    const particle: Particle | undefined = ct && ct.content.kind === 'elements' ? findParticle(ct.content.particle, e.ns, e.local) : undefined;
    if (!particle && ct && ct.content.kind === 'elements' && hasAny(ct.content.particle)) {
      out.push('$any');
      lost = true;
      break;
    }
    const name = particle?.kind === 'element' ? (particle.jsonName ?? e.local) : e.local;
    out.push(name);
    const siblings = e.parent ? e.parent.children.filter((c) => c.ns === e.ns && c.local === e.local) : [e];
    const repeated = particle?.kind === 'element' ? particle.max > 1 : siblings.length > 1;
    if (repeated) out.push(String(siblings.indexOf(e)));
    type = particle?.kind === 'element' ? particle.decl.type : undefined;
  }
  if (!lost) {
    const a = /attribute '(?:\{[^}]*\})?([^']+)'/.exec(message);
    if (a) {
      const clash = type?.kind === 'complex' && type.content.kind === 'elements' && hasElementNamed(type.content.particle, a[1]);
      out.push(clash ? `@${a[1]}` : a[1]);
    } else if (type?.kind === 'complex' && type.content.kind === 'simple' && type.attributes.length > 0) {
      out.push('$value');
    }
  }
  return out.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** A compiled schema set, shared by the operations of one bundle. */
export class StrictSchema {
  private users = 0;
  private retired = false;
  private freed = false;

  constructor(
    private readonly lx: Libxml,
    private validator: XsdValidator | undefined,
  ) {
    alive++;
  }

  /** A request holds the schema until the returned function is called (idempotent). */
  retain(): () => void {
    this.users++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.users--;
      if (this.retired && this.users === 0) this.free();
    };
  }

  /** The bundle is no longer served: free the wasm memory once no request holds it. */
  retire(): void {
    this.retired = true;
    if (this.users === 0) this.free();
  }

  get disposed(): boolean {
    return this.freed;
  }

  private free(): void {
    if (this.freed) return;
    this.freed = true;
    alive--;
    try {
      this.validator?.dispose();
    } finally {
      this.validator = undefined;
    }
  }

  private bodyOf(root: XmlElement): XmlElement | undefined {
    for (let c = root.firstChild; c; c = c.next) {
      if (c instanceof this.lx.XmlElement && c.name === 'Body') return c;
    }
    return undefined;
  }

  /**
   * Validates the child elements of the SOAP Body of a whole envelope. Returns the violations
   * (empty when valid); never throws for bad input.
   */
  validate(envelope: string, shape: MessageShape | undefined): Violation[] {
    const v = this.validator;
    if (!v) throw new Error('strict validation schema used after it was freed');
    const { XmlDocument, XmlValidateError, ParseOption } = this.lx;
    const text = withoutDeclaration(envelope);
    let doc: InstanceType<Libxml['XmlDocument']>;
    try {
      doc = XmlDocument.fromString(text, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE });
    } catch (e) {
      return [{ pointer: '', detail: `libxml2 cannot read the message: ${firstLine(e)}` }];
    }
    const issues: { message: string; xpath?: string }[] = [];
    try {
      const body = this.bodyOf(doc.root);
      if (!body) return [{ pointer: '', detail: 'the message has no SOAP Body' }];
      for (let c = body.firstChild; c; c = c.next) {
        if (!(c instanceof this.lx.XmlElement)) continue;
        try {
          v.validate(c);
        } catch (e) {
          if (e instanceof XmlValidateError && e.details.length > 0) {
            for (const d of e.details) if (d.level >= 2) issues.push({ message: d.message.trim(), xpath: d.xpath });
          } else issues.push({ message: `libxml2 could not validate the element: ${firstLine(e)}` });
        }
      }
    } finally {
      doc.dispose();
    }
    if (issues.length === 0) return [];
    let tree: XElem | undefined;
    try {
      tree = readXml(text, UNLIMITED_READ_LIMITS); // read within the limits already
    } catch {
      tree = undefined;
    }
    return issues.map((i) => {
      let pointer = '';
      try {
        const chain = tree && i.xpath ? elementAt(tree, i.xpath) : undefined;
        if (chain && chain.length > 2) pointer = pointerOf(chain.slice(2), shape, i.message);
      } catch {
        pointer = ''; // the violation stands without a pointer
      }
      return { pointer, detail: i.message };
    });
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0].trim();
}


/**
 * Compiles the bundle's schema set with libxml2. Problems are load errors (strict mode was
 * asked for and cannot be given); `at` is where `validation: strict` is set.
 */
export function compileStrictSchema(docs: LoadedDocuments, diags: Diagnostics, at: SourcePos): StrictSchema | undefined {
  const lx = libxml();
  if (!lx) {
    diags.error(at, `validation: strict is not available: ${libxmlUnavailable()}`);
    return undefined;
  }
  let set: SchemaSetText;
  try {
    set = schemaSetText(docs);
  } catch (e) {
    diags.error(at, `validation: strict: cannot prepare the schemas for libxml2: ${firstLine(e)}`);
    return undefined;
  }
  return withDocuments(set.docs, () => {
    let doc: InstanceType<Libxml['XmlDocument']> | undefined;
    try {
      doc = lx.XmlDocument.fromString(set.wrapper, { url: urlOfPath(set.wrapperFile), option: lx.ParseOption.XML_PARSE_NONET | lx.ParseOption.XML_PARSE_NO_XXE });
      return new StrictSchema(lx, lx.XsdValidator.fromDoc(doc));
    } catch (e) {
      const details = e instanceof lx.XmlLibError ? e.details.filter((d) => d.level >= 2) : [];
      if (details.length === 0) diags.error(at, `validation: strict: libxml2 cannot compile the schemas: ${firstLine(e)}`);
      for (const d of details.slice(0, 20)) {
        const file = d.file ? pathOfUrl(d.file) : undefined;
        const origin = file ? set.origins.get(file) : undefined;
        const pos = origin ? { file: origin.file, line: Math.max(1, d.line + origin.lineOffset), col: Math.max(1, d.col) } : at;
        diags.error(pos, `validation: strict: libxml2 cannot compile the schemas: ${d.message.trim()}`);
      }
      return undefined;
    } finally {
      doc?.dispose();
    }
  });
}
