/**
 * XML Schema components: registers every top-level definition of the loaded schema
 * documents, then resolves references on demand into the model of model/xsd.ts.
 * Only what operations reach is resolved; a broken definition nobody uses costs nothing.
 */
import { LoadError, type Diagnostics } from './diagnostics';
import type { SchemaDoc } from './loader';
import { BUILTINS } from '../codec/values';
import type {
  AnyParticle,
  AnyType,
  AttributeUse,
  ComplexContent,
  ComplexType,
  ElementDecl,
  Facets,
  GroupParticle,
  Particle,
  QName,
  SimpleType,
  XsdType,
} from '../model/xsd';
import { clark } from '../model/xsd';
import { attr, documentation, firstChild, resolveQName, XSD_NS, type SNode } from '../xml/source';

export const SOAPENC_NS = 'http://schemas.xmlsoap.org/soap/encoding/';
export const SOAPENC12_NS = 'http://www.w3.org/2003/05/soap-encoding';
export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

type ComponentKind = 'type' | 'element' | 'attribute' | 'group' | 'attributeGroup';

interface Entry {
  node: SNode;
  schema: SchemaDoc;
  /** For a component of xs:redefine: the definition it replaces. */
  original?: Entry;
  redefined?: boolean;
}

const KIND_OF: Record<string, ComponentKind> = {
  complexType: 'type',
  simpleType: 'type',
  element: 'element',
  attribute: 'attribute',
  group: 'group',
  attributeGroup: 'attributeGroup',
};

const ANY_TYPE: AnyType = { kind: 'anyType' };

function occurs(node: SNode): { min: number; max: number } {
  const minS = attr(node, 'minOccurs');
  const maxS = attr(node, 'maxOccurs');
  const min = minS === undefined ? 1 : Number(minS);
  const max = maxS === undefined ? 1 : maxS.trim() === 'unbounded' ? Infinity : Number(maxS);
  if (!Number.isInteger(min) || min < 0) throw new LoadError(node.pos, `invalid minOccurs "${minS}"`);
  if (!(max === Infinity || (Number.isInteger(max) && max >= 0)))
    throw new LoadError(node.pos, `invalid maxOccurs "${maxS}"`);
  if (max < min) throw new LoadError(node.pos, `maxOccurs (${maxS}) is less than minOccurs (${minS ?? 1})`);
  return { min, max };
}

function describe(q: QName): string {
  return q.ns ? `{${q.ns}}${q.local}` : q.local;
}

export class SchemaSet {
  private readonly registry: Record<ComponentKind, Map<string, Entry>> = {
    type: new Map(),
    element: new Map(),
    attribute: new Map(),
    group: new Map(),
    attributeGroup: new Map(),
  };
  private readonly builtins = new Map<string, SimpleType>();
  private readonly xsiTypes = new Map<string, XsdType | undefined>();
  /** soapenc:Array used as a type by itself. */
  private anyArray: ComplexType | undefined;
  private readonly types = new Map<Entry, XsdType>();
  private readonly elements = new Map<Entry, ElementDecl>();
  /** Entries whose resolution failed, with the error, so every later use reports the same cause. */
  private readonly failed = new Map<Entry, LoadError>();
  /** Complex types whose derivation is being resolved (cycle detection). */
  private readonly deriving = new Set<Entry>();
  private readonly expanding = new Set<Entry>();
  /** Resolution session: what was memoised since the outermost call began, for rollback on failure. */
  private depth = 0;
  private created: Entry[] = [];
  /** Namespaces that have at least one schema document. */
  readonly namespaces = new Set<string>();

  /** `diags` receives the warnings of the leniencies (references read as xs:anyType, guessed names). */
  constructor(
    schemas: SchemaDoc[],
    private readonly diags: Diagnostics,
    /** Namespaces whose schema file cannot be read (loader.ts), with the problem. */
    private readonly unreadable: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const schema of schemas) this.register(schema);
  }

  private register(schema: SchemaDoc): void {
    this.namespaces.add(schema.targetNamespace);
    const add = (node: SNode, redefined: boolean): void => {
      const kind = node.ns === XSD_NS ? KIND_OF[node.local] : undefined;
      const name = attr(node, 'name');
      if (!kind || !name) return;
      const key = clark({ ns: schema.targetNamespace, local: name.trim() });
      const map = this.registry[kind];
      const entry: Entry = { node, schema, redefined };
      const existing = map.get(key);
      if (!existing) map.set(key, entry);
      else if (redefined && !existing.redefined) {
        entry.original = existing;
        map.set(key, entry);
      } else if (!redefined && existing.redefined && !existing.original) existing.original = entry;
    };
    for (const child of schema.node.children) {
      if (child.ns !== XSD_NS) continue;
      if (child.local === 'redefine' || child.local === 'override') {
        for (const c of child.children) add(c, true);
      } else add(child, false);
    }
  }

  /** Runs one top-level resolution; on failure forgets everything it memoised. */
  private session<T>(fn: () => T): T {
    if (this.depth === 0) this.created = [];
    this.depth++;
    try {
      return fn();
    } catch (e) {
      if (this.depth === 1 && e instanceof LoadError) {
        for (const entry of this.created) {
          this.types.delete(entry);
          this.elements.delete(entry);
          if (!this.failed.has(entry)) this.failed.set(entry, e);
        }
      }
      throw e;
    } finally {
      this.depth--;
    }
  }

  // ---- names -------------------------------------------------------------------------

  /** Resolves a QName attribute value, applying chameleon-include rules. */
  private qname(node: SNode, value: string, schema: SchemaDoc): QName {
    const q = resolveQName(node, value);
    if (schema.chameleon && q.ns === '') return { ns: schema.targetNamespace, local: q.local };
    return q;
  }

  private lookup(kind: ComponentKind, q: QName, at: SNode, what: string): Entry {
    const entry = this.registry[kind].get(clark(q));
    if (entry) return entry;
    throw new LoadError(at.pos, this.undefinedMessage(kind, q, what));
  }

  private undefinedMessage(kind: ComponentKind, q: QName, what: string): string {
    let hint = '';
    if (!this.namespaces.has(q.ns))
      hint = q.ns ? ` (no schema for namespace "${q.ns}" is loaded)` : ' (no schema without targetNamespace is loaded)';
    else {
      const near = [...this.registry[kind].keys()].find((k) => k.toLowerCase() === clark(q).toLowerCase());
      if (near) hint = ` (did you mean ${near}?)`;
    }
    return `${what} ${describe(q)} is not defined${hint}`;
  }

  // ---- references that do not resolve ------------------------------------------------------
  //
  // WSDLs in the wild name types and elements that no loaded schema defines, write prefixes they
  // never declare, or misspell built-ins. Such a reference does not disable what uses it: a name
  // written without a prefix (whatever the default namespace) or with an unbound prefix is taken
  // to mean the only component of that kind with that local name, first in the referring
  // schema's own namespace (for a type, else the XSD built-in of that name); any other is read
  // as xs:anyType. Each case is a warning at the reference. A reference into a namespace whose
  // schema file cannot be read stays an error: restoring the file is the fix, not a guess.

  /** The expanded name of a reference, or the problem when its prefix is not bound. */
  private refName(node: SNode, value: string, schema: SchemaDoc | undefined): { q: QName } | { problem: string } {
    try {
      return { q: schema ? this.qname(node, value, schema) : resolveQName(node, value) };
    } catch (e) {
      if (e instanceof LoadError) return { problem: e.message };
      throw e;
    }
  }

  /** The only component of `kind` whose local name is `local`, for a name written without a usable namespace. */
  private onlyNamed(kind: ComponentKind, local: string, schema: SchemaDoc | undefined): [string, Entry] | undefined {
    if (schema) {
      const own = this.registry[kind].get(clark({ ns: schema.targetNamespace, local }));
      if (own) return [clark({ ns: schema.targetNamespace, local }), own];
    }
    const matches = [...this.registry[kind]].filter(([k]) => k === local || k.endsWith(`}${local}`));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /**
   * xs:anyType standing in for what a reference into `ns` should have given, with the warning that
   * says so; a LoadError (what uses it is disabled) when the schema file of `ns` cannot be read.
   */
  private unresolved(at: SNode, problem: string, effect: string, ns?: string): AnyType {
    const missing = ns !== undefined ? this.unreadable.get(ns) : undefined;
    if (missing !== undefined) throw new LoadError(at.pos, `${problem}: its schema file is missing (${missing})`);
    this.diags.warn(at.pos, `${problem}; ${effect}`);
    return { kind: 'anyType', unresolved: problem };
  }

  /**
   * The type a `type`, `base`, `itemType`, `memberTypes` or `wsdl:arrayType` reference names;
   * what does not resolve is read as xs:anyType, `effect` saying what that means for its user.
   */
  private typeRef(node: SNode, value: string, schema: SchemaDoc | undefined, effect: string): XsdType {
    const r = this.refName(node, value, schema);
    let problem: string;
    if ('q' in r) {
      const t = this.knownType(r.q);
      if (t) return t;
      if (r.q.ns === XSD_NS) {
        const near = Object.keys(BUILTINS).concat('anyType').find((b) => b.toLowerCase() === r.q.local.toLowerCase());
        problem = `xs:${r.q.local} is not an XML Schema built-in type${near ? ` (did you mean xs:${near}?)` : ''}`;
      } else problem = this.undefinedMessage('type', r.q, 'type');
      if (value.includes(':')) return this.unresolved(node, problem, effect, r.q.ns);
    } else problem = r.problem;
    const local = value.slice(value.indexOf(':') + 1).trim();
    const only = this.onlyNamed('type', local, schema);
    if (only) {
      this.diags.warn(node.pos, `${problem}; using ${only[0]}, the only type named "${local}"`);
      return this.namedType(only[1]);
    }
    if (BUILTINS[local] || local === 'anyType') {
      this.diags.warn(node.pos, `${problem}; using the XML Schema built-in xs:${local}`);
      return local === 'anyType' ? ANY_TYPE : this.builtin(local);
    }
    return this.unresolved(node, problem, effect, 'q' in r ? r.q.ns : undefined);
  }

  /**
   * The global element a `ref` (or a WSDL part's `element`) names. An undefined one is read as
   * an element of that name and type xs:anyType; undefined when even its name is unknown (an
   * unbound prefix with no element of that local name): the caller stands in a wildcard.
   */
  private elementRef(node: SNode, value: string, schema: SchemaDoc | undefined, subject: string): ElementDecl | undefined {
    const r = this.refName(node, value, schema);
    let problem: string;
    if ('q' in r) {
      const entry = this.registry.element.get(clark(r.q));
      if (entry) return this.globalElement(entry, r.q);
      problem = this.undefinedMessage('element', r.q, 'element');
    } else problem = r.problem;
    const local = value.slice(value.indexOf(':') + 1).trim();
    if (!('q' in r) || !value.includes(':')) {
      const only = this.onlyNamed('element', local, schema);
      if (only) {
        this.diags.warn(node.pos, `${problem}; using ${only[0]}, the only element named "${local}"`);
        return this.globalElement(only[1], { ns: only[1].schema.targetNamespace, local });
      }
    }
    if (!('q' in r)) {
      this.diags.warn(node.pos, `${problem}; ${subject} is read as any element (xs:any, kept in $any)`);
      return undefined;
    }
    const type = this.unresolved(node, problem, `${subject} is read as an element ${describe(r.q)} of type xs:anyType`, r.q.ns);
    return { name: r.q, type, nillable: true, abstract: false, global: true, pos: node.pos };
  }

  // ---- public entry points (used by the WSDL compiler) --------------------------------

  element(q: QName, at: SNode): ElementDecl {
    return this.session(() => this.globalElement(this.lookup('element', q, at, 'element'), q));
  }

  /** A WSDL part's `type`; one that does not resolve is read as xs:anyType (with a warning). */
  partType(part: SNode, value: string): XsdType {
    return this.session(() => this.typeRef(part, value, undefined, `part ${attr(part, 'name') ?? '?'} is read as xs:anyType`));
  }

  /**
   * A WSDL part's `element`; an undefined one is read as an element of that name and type
   * xs:anyType, one whose name is unknown (unbound prefix) as undefined: the part is any element.
   */
  partElement(part: SNode, value: string): ElementDecl | undefined {
    return this.session(() => this.elementRef(part, value, undefined, `part ${attr(part, 'name') ?? '?'}`));
  }

  /**
   * A type by expanded name for request time (an xsi:type in a message): XSD built-ins, SOAP-ENC
   * types, then the loaded schemas; undefined when it is unknown or does not resolve.
   */
  typeForXsiType(q: QName): XsdType | undefined {
    const key = clark(q);
    if (this.xsiTypes.has(key)) return this.xsiTypes.get(key);
    let t: XsdType | undefined;
    try {
      if (q.ns === XSD_NS) t = q.local === 'anyType' || q.local === 'ur-type' ? ANY_TYPE : BUILTINS[q.local] ? this.builtin(q.local) : undefined;
      else if (q.ns === SOAPENC_NS || q.ns === SOAPENC12_NS) t = this.soapEncType(q.local);
      else {
        const entry = this.registry.type.get(key);
        t = entry ? this.session(() => this.namedType(entry)) : undefined;
      }
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      t = undefined;
    }
    this.xsiTypes.set(key, t);
    return t;
  }

  /** Expanded names (`{ns}local`) of every global element, for lookups by name from a mapping. */
  elementNames(): string[] {
    return [...this.registry.element.keys()];
  }

  /** A global element by expanded name, or undefined; a broken declaration throws its LoadError. */
  elementByName(q: QName): ElementDecl | undefined {
    const entry = this.registry.element.get(clark(q));
    return entry ? this.session(() => this.globalElement(entry, q)) : undefined;
  }

  // ---- types ---------------------------------------------------------------------------

  builtin(local: string, at?: SNode): SimpleType {
    const cached = this.builtins.get(local);
    if (cached) return cached;
    const info = BUILTINS[local];
    if (!info) throw new LoadError(at?.pos ?? { file: '', line: 0, col: 0 }, `xs:${local} is not an XML Schema built-in type`);
    const facets: Facets = {};
    if (info.minInclusive !== undefined) facets.minInclusive = info.minInclusive;
    if (info.maxInclusive !== undefined) facets.maxInclusive = info.maxInclusive;
    facets.whiteSpace = info.whiteSpace;
    let t: SimpleType = {
      kind: 'simple',
      name: { ns: XSD_NS, local },
      builtinName: local,
      builtin: info.kind,
      variety: 'atomic',
      facets,
    };
    if (info.list) {
      t = {
        kind: 'simple',
        name: { ns: XSD_NS, local },
        builtinName: local,
        builtin: info.kind,
        variety: 'list',
        itemType: { ...t, name: undefined },
        facets: { whiteSpace: 'collapse' },
      };
    }
    this.builtins.set(local, t);
    return t;
  }

  /** The type of a name, or undefined when no built-in, SOAP-encoding or loaded type has it. */
  private knownType(q: QName): XsdType | undefined {
    if (q.ns === XSD_NS) {
      if (q.local === 'anyType' || q.local === 'ur-type') return ANY_TYPE;
      return BUILTINS[q.local] ? this.builtin(q.local) : undefined;
    }
    if (q.ns === SOAPENC_NS || q.ns === SOAPENC12_NS) {
      const soapenc = this.soapEncType(q.local);
      if (soapenc) return soapenc;
    }
    const entry = this.registry.type.get(clark(q));
    return entry ? this.namedType(entry) : undefined;
  }

  /** SOAP-encoding types: soapenc:string and friends are the XSD built-ins (nillable, with id/href). */
  private soapEncType(local: string): XsdType | undefined {
    if (BUILTINS[local]) return this.builtin(local);
    if (local === 'base64') return this.builtin('base64Binary');
    if (local === 'Array') {
      // soapenc:Array itself: an array of any values (each typed by its xsi:type when encoded).
      this.anyArray ??= { ...this.arrayOf(ANY_TYPE, 'item', undefined), name: { ns: SOAPENC_NS, local: 'Array' } };
      return this.anyArray;
    }
    if (local === 'Struct') {
      const any: AnyParticle = { kind: 'any', namespaces: { mode: 'any' }, processContents: 'lax', min: 0, max: Infinity };
      return {
        kind: 'complex',
        name: { ns: SOAPENC_NS, local },
        attributes: [],
        anyAttribute: true,
        content: { kind: 'elements', particle: { kind: 'sequence', items: [any], min: 1, max: 1 }, mixed: false },
        abstract: false,
      };
    }
    return undefined;
  }

  private namedType(entry: Entry): XsdType {
    const known = this.types.get(entry);
    if (known) return known;
    const failure = this.failed.get(entry);
    if (failure) throw failure;
    const name: QName = { ns: entry.schema.targetNamespace, local: attr(entry.node, 'name')!.trim() };
    if (entry.node.local === 'simpleType') {
      const t = this.simpleType(entry.node, entry.schema, name, entry);
      this.types.set(entry, t);
      this.created.push(entry);
      return t;
    }
    // Memoise before filling so recursive references see the same object.
    const t: ComplexType = {
      kind: 'complex',
      name,
      attributes: [],
      anyAttribute: false,
      content: { kind: 'empty' },
      abstract: false,
    };
    this.types.set(entry, t);
    this.created.push(entry);
    this.fillComplex(t, entry.node, entry.schema, entry);
    return t;
  }

  /** A type given by a `type` attribute or an inline simpleType/complexType child. */
  private typeOf(node: SNode, schema: SchemaDoc): XsdType | undefined {
    const ref = attr(node, 'type');
    if (ref) {
      const what = `${node.local} ${attr(node, 'name')?.trim() ?? attr(node, 'ref')?.trim() ?? '?'}`;
      return this.typeRef(node, ref, schema, `${what} is read as ${node.local === 'attribute' ? 'xs:anySimpleType' : 'xs:anyType'}`);
    }
    const simple = firstChild(node, XSD_NS, 'simpleType');
    if (simple) return this.simpleType(simple, schema);
    const complex = firstChild(node, XSD_NS, 'complexType');
    if (complex) {
      const t: ComplexType = { kind: 'complex', attributes: [], anyAttribute: false, content: { kind: 'empty' }, abstract: false };
      this.fillComplex(t, complex, schema);
      return t;
    }
    return undefined;
  }

  private simpleRef(node: SNode, value: string, schema: SchemaDoc, entry?: Entry): SimpleType {
    const r = this.refName(node, value, schema);
    const q = 'q' in r ? r.q : { ns: '', local: value.trim() };
    let t: XsdType;
    if (entry?.original && entry.schema.targetNamespace === q.ns && clark(q) === clark({ ns: entry.schema.targetNamespace, local: attr(entry.node, 'name')!.trim() }))
      t = this.namedType(entry.original);
    else {
      const role = node.local === 'list' ? 'the list items are' : node.local === 'union' ? 'this member of the union is' : 'the base of the restriction is';
      t = this.typeRef(node, value, schema, `${role} read as xs:anySimpleType`);
    }
    if (t.kind === 'simple') return t;
    if (t.kind === 'complex' && t.content.kind === 'simple') return t.content.type;
    if (t.kind === 'anyType') return this.builtin('anySimpleType');
    throw new LoadError(node.pos, `${describe(q)} is a complex type; a simple type is needed here`);
  }

  private simpleType(node: SNode, schema: SchemaDoc, name?: QName, entry?: Entry): SimpleType {
    const doc = documentation(node);
    const restriction = firstChild(node, XSD_NS, 'restriction');
    if (restriction) {
      const baseName = attr(restriction, 'base');
      const inline = firstChild(restriction, XSD_NS, 'simpleType');
      const base = baseName
        ? this.simpleRef(restriction, baseName, schema, entry)
        : inline
          ? this.simpleType(inline, schema)
          : undefined;
      if (!base) throw new LoadError(restriction.pos, 'xs:restriction needs a base attribute or an inline xs:simpleType');
      return { ...base, name, facets: this.facets(restriction, base), documentation: doc ?? base.documentation, pos: node.pos };
    }
    const list = firstChild(node, XSD_NS, 'list');
    if (list) {
      const itemName = attr(list, 'itemType');
      const inline = firstChild(list, XSD_NS, 'simpleType');
      const item = itemName ? this.simpleRef(list, itemName, schema) : inline ? this.simpleType(inline, schema) : undefined;
      if (!item) throw new LoadError(list.pos, 'xs:list needs an itemType attribute or an inline xs:simpleType');
      return { kind: 'simple', name, builtinName: item.builtinName, builtin: item.builtin, variety: 'list', itemType: item, facets: { whiteSpace: 'collapse' }, documentation: doc, pos: node.pos };
    }
    const union = firstChild(node, XSD_NS, 'union');
    if (union) {
      const members: SimpleType[] = [];
      for (const m of (attr(union, 'memberTypes') ?? '').split(/\s+/).filter(Boolean))
        members.push(this.simpleRef(union, m, schema));
      for (const inline of union.children.filter((c) => c.ns === XSD_NS && c.local === 'simpleType'))
        members.push(this.simpleType(inline, schema));
      if (members.length === 0) throw new LoadError(union.pos, 'xs:union has no member types');
      return { kind: 'simple', name, builtinName: 'string', builtin: 'string', variety: 'union', memberTypes: members, facets: {}, documentation: doc, pos: node.pos };
    }
    // Nothing says what the values are: any simple value is accepted.
    this.diags.warn(node.pos, `xs:simpleType${name ? ` ${describe(name)}` : ''} needs xs:restriction, xs:list or xs:union; it is read as xs:anySimpleType`);
    return { ...this.builtin('anySimpleType'), name, documentation: doc, pos: node.pos };
  }

  /** The facets of a restriction step merged over its base's. */
  private facets(node: SNode, base: SimpleType): Facets {
    const f: Facets = { ...base.facets };
    const enums: string[] = [];
    const patterns: string[] = [];
    for (const c of node.children) {
      if (c.ns !== XSD_NS) continue;
      const value = attr(c, 'value');
      if (value === undefined) continue;
      switch (c.local) {
        case 'enumeration':
          enums.push(value);
          break;
        case 'pattern':
          patterns.push(value);
          break;
        case 'length':
        case 'minLength':
        case 'maxLength':
        case 'totalDigits':
        case 'fractionDigits': {
          const n = Number(value.trim());
          if (!Number.isInteger(n) || n < 0) throw new LoadError(c.pos, `xs:${c.local} must be a non-negative integer, got "${value}"`);
          f[c.local] = n;
          break;
        }
        case 'minInclusive':
        case 'maxInclusive':
        case 'minExclusive':
        case 'maxExclusive':
          f[c.local] = value.trim();
          break;
        case 'whiteSpace':
          if (value === 'preserve' || value === 'replace' || value === 'collapse') f.whiteSpace = value;
          break;
        default:
          break;
      }
    }
    if (enums.length) f.enumeration = enums;
    if (patterns.length) f.patterns = [...(f.patterns ?? []), patterns];
    return f;
  }

  private fillComplex(t: ComplexType, node: SNode, schema: SchemaDoc, entry?: Entry): void {
    t.documentation = documentation(node);
    t.pos = node.pos;
    t.abstract = attr(node, 'abstract') === 'true' || attr(node, 'abstract') === '1';
    const mixed = attr(node, 'mixed') === 'true' || attr(node, 'mixed') === '1';
    const simpleContent = firstChild(node, XSD_NS, 'simpleContent');
    const complexContent = firstChild(node, XSD_NS, 'complexContent');
    if (simpleContent) return this.fillSimpleContent(t, simpleContent, schema, entry);
    if (complexContent) {
      const ccMixed = attr(complexContent, 'mixed');
      return this.fillComplexContent(t, complexContent, schema, ccMixed ? ccMixed === 'true' || ccMixed === '1' : mixed, entry);
    }
    const particle = this.particleChild(node, schema);
    t.content = this.contentOf(particle, mixed);
    const attrs = this.attributes(node, schema);
    t.attributes = attrs.uses;
    t.anyAttribute = attrs.any;
    if (attrs.any) t.anyAttributeNamespaces = attrs.anyNs;
  }

  private contentOf(particle: GroupParticle | undefined, mixed: boolean): ComplexContent {
    if (particle) return { kind: 'elements', particle, mixed };
    if (mixed) return { kind: 'simple', type: this.builtin('string') };
    return { kind: 'empty' };
  }

  private baseComplex(node: SNode, schema: SchemaDoc, entry: Entry | undefined, simpleContent: boolean): { base: XsdType; q: QName } {
    const baseName = attr(node, 'base');
    if (!baseName) throw new LoadError(node.pos, `xs:${node.local} needs a base attribute`);
    const r = this.refName(node, baseName, schema);
    const q = 'q' in r ? r.q : { ns: '', local: baseName.trim() };
    const selfName = entry ? { ns: entry.schema.targetNamespace, local: attr(entry.node, 'name')!.trim() } : undefined;
    if (entry && selfName && clark(q) === clark(selfName)) {
      if (!entry.original) throw new LoadError(node.pos, `type ${describe(q)} derives from itself`);
      return { base: this.namedType(entry.original), q };
    }
    const baseEntry = q.ns === XSD_NS || q.ns === SOAPENC_NS ? undefined : this.registry.type.get(clark(q));
    if (baseEntry && this.deriving.has(baseEntry))
      throw new LoadError(node.pos, `circular derivation: ${describe(q)} derives from a type that derives from it`);
    if (entry) this.deriving.add(entry);
    try {
      const effect = simpleContent
        ? 'the base is read as xs:anySimpleType, with any attributes'
        : 'the base is read as xs:anyType: the derived type also accepts any content and attributes in its place';
      return { base: this.typeRef(node, baseName, schema, effect), q };
    } finally {
      if (entry) this.deriving.delete(entry);
    }
  }

  private fillSimpleContent(t: ComplexType, sc: SNode, schema: SchemaDoc, entry?: Entry): void {
    const step = firstChild(sc, XSD_NS, 'extension') ?? firstChild(sc, XSD_NS, 'restriction');
    if (!step) throw new LoadError(sc.pos, 'xs:simpleContent needs xs:extension or xs:restriction');
    const { base, q } = this.baseComplex(step, schema, entry, true);
    t.derivation = step.local === 'extension' ? 'extension' : 'restriction';
    let valueType: SimpleType;
    let inherited: AttributeUse[] = [];
    let inheritedAny = false;
    if (base.kind === 'simple') valueType = base;
    else if (base.kind === 'complex' && base.content.kind === 'simple') {
      valueType = base.content.type;
      inherited = base.attributes;
      inheritedAny = base.anyAttribute;
      t.base = base;
    } else if (base.kind === 'complex' && step.local === 'restriction' && base.content.kind === 'elements' && base.content.mixed) {
      valueType = this.builtin('string');
      inherited = base.attributes;
      t.base = base;
    } else if (base.kind === 'anyType') {
      valueType = this.builtin('anySimpleType');
      // The attributes of a base that could not be read are unknown: accept any.
      inheritedAny = base.unresolved !== undefined;
    } else throw new LoadError(step.pos, `simpleContent base ${describe(q)} does not have simple content`);
    if (step.local === 'restriction') {
      const inline = firstChild(step, XSD_NS, 'simpleType');
      const restricted = inline ? this.simpleType(inline, schema) : valueType;
      valueType = { ...restricted, name: undefined, facets: this.facets(step, restricted) };
    }
    const own = this.attributes(step, schema);
    t.content = { kind: 'simple', type: valueType };
    t.attributes = this.mergeAttributes(inherited, own.uses);
    t.anyAttribute = inheritedAny || own.any;
  }

  private fillComplexContent(t: ComplexType, cc: SNode, schema: SchemaDoc, mixed: boolean, entry?: Entry): void {
    const step = firstChild(cc, XSD_NS, 'extension') ?? firstChild(cc, XSD_NS, 'restriction');
    if (!step) throw new LoadError(cc.pos, 'xs:complexContent needs xs:extension or xs:restriction');
    const { base, q } = this.baseComplex(step, schema, entry, false);
    t.derivation = step.local === 'extension' ? 'extension' : 'restriction';
    const own = this.attributes(step, schema);
    const particle = this.particleChild(step, schema);
    if (base.kind === 'simple') throw new LoadError(step.pos, `complexContent base ${describe(q)} is a simple type (use xs:simpleContent)`);
    if (base.kind === 'complex' && base.name?.ns === SOAPENC_NS && base.name.local === 'Array') {
      return this.fillSoapArray(t, step, schema, particle, own.uses);
    }
    if (base.kind === 'complex') t.base = base;
    const baseAttrs = base.kind === 'complex' ? base.attributes : [];
    // A base that could not be read stands for unknown content and attributes: any are accepted.
    const unknownBase = base.kind === 'anyType' && base.unresolved !== undefined;
    const baseAny = base.kind === 'complex' ? base.anyAttribute : unknownBase;
    if (step.local === 'extension') {
      const baseParticle: GroupParticle | undefined =
        base.kind === 'complex' && base.content.kind === 'elements'
          ? base.content.particle
          : unknownBase
            ? { kind: 'sequence', items: [{ kind: 'any', namespaces: { mode: 'any' }, processContents: 'lax', min: 0, max: Infinity }], min: 1, max: 1 }
            : undefined;
      if (base.kind === 'complex' && base.content.kind === 'simple' && particle)
        throw new LoadError(step.pos, `cannot add elements to ${describe(q)}, which has simple content`);
      if (base.kind === 'complex' && base.content.kind === 'simple') t.content = base.content;
      else if (baseParticle && particle)
        t.content = { kind: 'elements', particle: { kind: 'sequence', items: [baseParticle, particle], min: 1, max: 1 }, mixed };
      else t.content = this.contentOf(particle ?? baseParticle, mixed);
      t.attributes = this.mergeAttributes(baseAttrs, own.uses);
      t.anyAttribute = baseAny || own.any;
      // An extension admits what its base's wildcard or its own admits (when both are known).
      // An unresolved base admits any attribute: no namespace list (undefined is "any").
      const baseNs = unknownBase ? undefined : base.kind === 'complex' && base.anyAttribute ? base.anyAttributeNamespaces : [];
      if (t.anyAttribute && baseNs) t.anyAttributeNamespaces = [...baseNs, ...own.anyNs];
    } else {
      t.content = this.contentOf(particle, mixed);
      t.attributes = this.mergeAttributes(baseAttrs, own.uses);
      t.anyAttribute = own.any || unknownBase;
      if (own.any && !unknownBase) t.anyAttributeNamespaces = own.anyNs;
    }
  }

  /**
   * complexContent restriction of soapenc:Array: a list of items of the wsdl:arrayType
   * (`xsd:string[]`, `tns:Item[]`, `tns:Item[][]` for an array of arrays), or of the type of the
   * restriction's single repeating element. Multi-dimensional arrays (`xsd:int[,]`) are refused.
   */
  private fillSoapArray(t: ComplexType, step: SNode, schema: SchemaDoc, particle: GroupParticle | undefined, uses: AttributeUse[]): void {
    let itemType: XsdType | undefined;
    let itemName = 'item';
    const findArrayType = (n: SNode): { value: string; node: SNode } | undefined => {
      for (const a of n.nsAttrs) if (a.local === 'arrayType' && a.ns === WSDL_NS) return { value: a.value, node: n };
      for (const c of n.children) {
        const v = findArrayType(c);
        if (v) return v;
      }
      return undefined;
    };
    const only = particle && particle.items.length === 1 ? particle.items[0] : undefined;
    if (only?.kind === 'element') {
      itemType = only.decl.type;
      itemName = only.decl.name.local;
    }
    const arrayType = findArrayType(step);
    if (arrayType) {
      const value = arrayType.value.trim();
      const base = value.replace(/(\[[0-9,\s]*\])+$/, '');
      const dims = value.slice(base.length).match(/\[[0-9,\s]*\]/g) ?? [];
      if (dims.some((d) => d.includes(',')))
        throw new LoadError(arrayType.node.pos, `wsdl:arrayType="${value}" declares a multi-dimensional SOAP-ENC array, which the bridge does not support (arrays of arrays, T[][], are supported)`);
      itemType = this.typeRef(arrayType.node, base, schema, 'the array items are read as xs:anyType');
      // Arrays of arrays (T[][]): each item is itself an array.
      for (let i = dims.length - 1; i > 0; i--) itemType = this.arrayOf(itemType, 'item', step);
    }
    const arr = this.arrayOf(itemType ?? ANY_TYPE, itemName, step);
    t.content = arr.content;
    t.soapArray = arr.soapArray;
    t.attributes = uses.filter((u) => u.name.ns !== SOAPENC_NS);
    t.anyAttribute = true;
    t.base = { kind: 'complex', name: { ns: SOAPENC_NS, local: 'Array' }, attributes: [], anyAttribute: true, content: { kind: 'empty' }, abstract: false };
  }

  private arrayOf(item: XsdType, itemName: string, at: SNode | undefined): ComplexType {
    const decl: ElementDecl = { name: { ns: '', local: itemName }, type: item, nillable: true, abstract: false, global: false, pos: at?.pos };
    return {
      kind: 'complex',
      attributes: [],
      anyAttribute: true,
      content: { kind: 'elements', particle: { kind: 'sequence', items: [{ kind: 'element', decl, min: 0, max: Infinity }], min: 1, max: 1 }, mixed: false },
      abstract: false,
      base: { kind: 'complex', name: { ns: SOAPENC_NS, local: 'Array' }, attributes: [], anyAttribute: true, content: { kind: 'empty' }, abstract: false },
      soapArray: { item: decl },
      pos: at?.pos,
    };
  }

  private mergeAttributes(base: AttributeUse[], own: AttributeUse[]): AttributeUse[] {
    const out = new Map<string, AttributeUse>();
    for (const a of base) out.set(clark(a.name), a);
    for (const a of own) {
      if (a.prohibited) out.delete(clark(a.name));
      else out.set(clark(a.name), a);
    }
    return [...out.values()];
  }

  // ---- particles -----------------------------------------------------------------------

  /** The content-model child (sequence, choice, all or group ref) of a type or derivation step. */
  private particleChild(node: SNode, schema: SchemaDoc): GroupParticle | undefined {
    for (const c of node.children) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'sequence' || c.local === 'choice' || c.local === 'all' || c.local === 'group') {
        const p = this.particle(c, schema);
        if (!p) return undefined;
        if (p.kind === 'sequence' || p.kind === 'choice' || p.kind === 'all') return p;
        return { kind: 'sequence', items: [p], min: 1, max: 1 };
      }
    }
    return undefined;
  }

  private particle(node: SNode, schema: SchemaDoc): Particle | undefined {
    const { min, max } = occurs(node);
    switch (node.local) {
      case 'element':
      {
        const decl = this.elementDecl(node, schema);
        // A ref whose name is unknown stands for one element of any name.
        if (!decl) return { kind: 'any', namespaces: { mode: 'any' }, processContents: 'lax', min, max };
        if (attr(node, 'ref') !== undefined) {
          const group = this.substitutionChoice(decl, min, max);
          if (group) return group;
        }
        return { kind: 'element', decl, min, max };
      }
      case 'sequence':
      case 'choice':
      case 'all': {
        const items: Particle[] = [];
        for (const c of node.children) {
          if (c.ns !== XSD_NS || !['element', 'sequence', 'choice', 'all', 'group', 'any'].includes(c.local)) continue;
          const p = this.particle(c, schema);
          if (p) items.push(p);
        }
        return { kind: node.local, items, min, max };
      }
      case 'group': {
        const ref = attr(node, 'ref');
        if (!ref) throw new LoadError(node.pos, 'xs:group inside a content model needs a ref attribute');
        const entry = this.lookup('group', this.qname(node, ref, schema), node, 'group');
        if (this.expanding.has(entry)) throw new LoadError(node.pos, `group ${ref} refers to itself`);
        this.expanding.add(entry);
        try {
          const model = entry.node.children.find((c) => c.ns === XSD_NS && ['sequence', 'choice', 'all'].includes(c.local));
          if (!model) return undefined;
          const inner = this.particle(model, entry.schema) as GroupParticle;
          return { ...inner, min: min * inner.min, max: max * inner.max };
        } finally {
          this.expanding.delete(entry);
        }
      }
      case 'any':
        return { kind: 'any', namespaces: this.wildcard(node, schema), processContents: (attr(node, 'processContents') as AnyParticle['processContents']) ?? 'strict', min, max };
      default:
        return undefined;
    }
  }

  private wildcard(node: SNode, schema: SchemaDoc): AnyParticle['namespaces'] {
    const value = (attr(node, 'namespace') ?? '##any').trim();
    if (value === '##any') return { mode: 'any' };
    if (value === '##other') return { mode: 'not', ns: [schema.targetNamespace, ''] };
    const ns = value
      .split(/\s+/)
      .map((v) => (v === '##targetNamespace' ? schema.targetNamespace : v === '##local' ? '' : v));
    return { mode: 'list', ns };
  }

  private elementDecl(node: SNode, schema: SchemaDoc): ElementDecl | undefined {
    const ref = attr(node, 'ref');
    if (ref) return this.elementRef(node, ref, schema, `element ref ${ref.trim()}`);
    const name = attr(node, 'name');
    if (!name) throw new LoadError(node.pos, 'xs:element needs a name or a ref attribute');
    const form = attr(node, 'form');
    const qualified = form ? form === 'qualified' : schema.elementQualified;
    return this.declFrom(node, schema, { ns: qualified ? schema.targetNamespace : '', local: name.trim() }, false);
  }

  // ---- substitution groups ------------------------------------------------------------
  //
  // A reference to the head of a substitution group admits the head (unless it is abstract) and
  // every non-abstract member, transitively (a member of a member), in its place. The reference
  // is read as a choice of those elements with the reference's occurrences, so the JSON form
  // names each member by its own name, like a choice branch. The head's `block` (or its
  // schema's `blockDefault`) is honoured: `substitution` or `#all` admits the head only;
  // `extension` or `restriction` leaves out the members whose type derives from the head's
  // that way.

  /** Direct members of each head (by expanded name), built once from every loaded schema. */
  private directMembers: Map<string, Entry[]> | undefined;
  /** Global elements whose declaration is being read (their decl is not complete yet). */
  private readonly declaring = new Set<Entry>();
  /** Members that could not be read: left out of their groups, with one warning each. */
  private readonly brokenMembers = new Set<Entry>();

  private membersIndex(): Map<string, Entry[]> {
    if (this.directMembers) return this.directMembers;
    const index = new Map<string, Entry[]>();
    for (const entry of this.registry.element.values()) {
      const head = attr(entry.node, 'substitutionGroup');
      if (!head) continue;
      const r = this.refName(entry.node, head, entry.schema);
      if (!('q' in r)) continue;
      const key = clark(r.q);
      const list = index.get(key);
      if (list) list.push(entry);
      else index.set(key, [entry]);
    }
    this.directMembers = index;
    return index;
  }

  /**
   * The choice a reference to `head` stands for when `head` heads a substitution group with at
   * least one member that may take its place; undefined otherwise (the plain reference).
   */
  private substitutionChoice(head: ElementDecl, min: number, max: number): GroupParticle | undefined {
    const headKey = clark(head.name);
    const headEntry = this.registry.element.get(headKey);
    if (!headEntry) return undefined;
    const index = this.membersIndex();
    if (!index.has(headKey)) return undefined;
    const block = this.blockOf(headEntry);
    if (block.has('substitution')) return undefined;
    const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';
    // Transitive members, in declaration order of discovery; a cycle (an error in XSD) stops.
    const seen = new Set<Entry>([headEntry]);
    const queue: Entry[] = [headEntry];
    const members: Entry[] = [];
    while (queue.length) {
      const e = queue.shift()!;
      const key = clark({ ns: e.schema.targetNamespace, local: attr(e.node, 'name')!.trim() });
      for (const m of index.get(key) ?? []) {
        if (seen.has(m)) continue;
        seen.add(m);
        queue.push(m);
        members.push(m);
      }
    }
    const items: Particle[] = [];
    for (const m of members) {
      if (isTrue(attr(m.node, 'abstract'))) continue;
      const decl = this.memberDecl(m);
      if (!decl) continue;
      if ((block.has('extension') || block.has('restriction')) && !this.declaring.has(m) && !this.declaring.has(headEntry)) {
        const methods = derivationMethods(decl.type, head.type);
        if (methods && [...methods].some((x) => block.has(x))) continue;
      }
      items.push({ kind: 'element', decl, min: 1, max: 1 });
    }
    if (items.length === 0) return undefined;
    if (!isTrue(attr(headEntry.node, 'abstract'))) items.unshift({ kind: 'element', decl: head, min: 1, max: 1 });
    return { kind: 'choice', items, min, max };
  }

  /** The head's blocking constraint: its `block`, else its schema's `blockDefault`. */
  private blockOf(entry: Entry): Set<string> {
    const value = attr(entry.node, 'block') ?? attr(entry.schema.node, 'blockDefault') ?? '';
    const words = value.split(/\s+/).filter(Boolean);
    return new Set(words.includes('#all') ? ['substitution', 'extension', 'restriction'] : words);
  }

  /** A member's declaration; one that does not resolve is left out of the group (with a warning). */
  private memberDecl(entry: Entry): ElementDecl | undefined {
    if (this.brokenMembers.has(entry)) return undefined;
    const name: QName = { ns: entry.schema.targetNamespace, local: attr(entry.node, 'name')!.trim() };
    const mark = this.created.length;
    try {
      return this.globalElement(entry, name);
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      // Forget what this member's resolution memoised (nothing built before it refers to it).
      for (const c of this.created.splice(mark)) {
        this.types.delete(c);
        this.elements.delete(c);
      }
      this.brokenMembers.add(entry);
      this.diags.warn(entry.node.pos, `element ${describe(name)} is left out of its substitution group: ${e.message}`);
      return undefined;
    }
  }

  private globalElement(entry: Entry, q: QName): ElementDecl {
    const known = this.elements.get(entry);
    if (known) return known;
    const failure = this.failed.get(entry);
    if (failure) throw failure;
    const decl: ElementDecl = { name: { ns: entry.schema.targetNamespace, local: q.local }, type: ANY_TYPE, nillable: false, abstract: false, global: true, pos: entry.node.pos };
    this.elements.set(entry, decl);
    this.created.push(entry);
    this.declaring.add(entry);
    try {
      Object.assign(decl, this.declFrom(entry.node, entry.schema, decl.name, true));
    } finally {
      this.declaring.delete(entry);
    }
    return decl;
  }

  private declFrom(node: SNode, schema: SchemaDoc, name: QName, global: boolean): ElementDecl {
    const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';
    let type = this.typeOf(node, schema);
    if (!type) {
      // No type: the head of its substitution group gives it, else xs:anyType.
      const head = attr(node, 'substitutionGroup');
      const headDecl = head ? this.elementRef(node, head, schema, `the substitution group head of element ${name.local}`) : undefined;
      type = headDecl?.type ?? ANY_TYPE;
    }
    return {
      name,
      type,
      nillable: isTrue(attr(node, 'nillable')),
      abstract: isTrue(attr(node, 'abstract')),
      default: attr(node, 'default'),
      fixed: attr(node, 'fixed'),
      documentation: documentation(node),
      global,
      pos: node.pos,
    };
  }

  // ---- attributes ----------------------------------------------------------------------

  private attributes(node: SNode, schema: SchemaDoc): { uses: AttributeUse[]; any: boolean; anyNs: AnyParticle['namespaces'][] } {
    const uses: AttributeUse[] = [];
    let any = false;
    const anyNs: AnyParticle['namespaces'][] = [];
    for (const c of node.children) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'attribute') {
        const use = this.attributeUse(c, schema);
        if (use) uses.push(use);
      } else if (c.local === 'attributeGroup') {
        const ref = attr(c, 'ref');
        if (!ref) continue;
        const entry = this.lookup('attributeGroup', this.qname(c, ref, schema), c, 'attributeGroup');
        if (this.expanding.has(entry)) throw new LoadError(c.pos, `attributeGroup ${ref} refers to itself`);
        this.expanding.add(entry);
        try {
          const inner = this.attributes(entry.node, entry.schema);
          uses.push(...inner.uses);
          any ||= inner.any;
          anyNs.push(...inner.anyNs);
        } finally {
          this.expanding.delete(entry);
        }
      } else if (c.local === 'anyAttribute') {
        any = true;
        anyNs.push(this.wildcard(c, schema));
      }
    }
    return { uses, any, anyNs };
  }

  private attributeUse(node: SNode, schema: SchemaDoc): AttributeUse | undefined {
    const use = attr(node, 'use') ?? 'optional';
    const ref = attr(node, 'ref');
    let name: QName;
    let type: SimpleType;
    let decl = node;
    if (ref) {
      name = this.qname(node, ref, schema);
      if (name.ns === XML_NS) type = this.builtin(name.local === 'lang' ? 'language' : 'string');
      else if (name.ns === SOAPENC_NS || name.ns === SOAPENC12_NS || name.ns === WSDL_NS) type = this.builtin('string');
      else {
        const entry = this.lookup('attribute', name, node, 'attribute');
        decl = entry.node;
        const t = this.typeOf(entry.node, entry.schema);
        type = t ? this.asSimple(t, entry.node) : this.builtin('anySimpleType');
      }
    } else {
      const local = attr(node, 'name');
      if (!local) throw new LoadError(node.pos, 'xs:attribute needs a name or a ref attribute');
      const form = attr(node, 'form');
      const qualified = form ? form === 'qualified' : schema.attributeQualified;
      name = { ns: qualified ? schema.targetNamespace : '', local: local.trim() };
      const t = this.typeOf(node, schema);
      type = t ? this.asSimple(t, node) : this.builtin('anySimpleType');
    }
    return {
      name,
      type,
      required: use === 'required',
      prohibited: use === 'prohibited',
      default: attr(node, 'default') ?? (decl !== node ? attr(decl, 'default') : undefined),
      fixed: attr(node, 'fixed') ?? (decl !== node ? attr(decl, 'fixed') : undefined),
      documentation: documentation(node) ?? documentation(decl),
    };
  }

  private asSimple(t: XsdType, at: SNode): SimpleType {
    if (t.kind === 'simple') return t;
    if (t.kind === 'anyType') return this.builtin('anySimpleType');
    throw new LoadError(at.pos, 'an attribute must have a simple type');
  }
}

/**
 * The derivation methods from `head`'s type to `member`'s (for a head's `block`); undefined
 * when the member's type is not seen to derive from it (the schema would be in error).
 */
function derivationMethods(member: XsdType, head: XsdType): Set<string> | undefined {
  const methods = new Set<string>();
  if (member === head) return methods;
  if (member.kind === 'simple') {
    // Simple types derive by restriction (lists and unions too, from xs:anySimpleType).
    return head.kind === 'simple' || head.kind === 'anyType' ? new Set(['restriction']) : undefined;
  }
  if (member.kind === 'anyType') return undefined;
  let t: ComplexType | undefined = member;
  while (t && t !== head) {
    methods.add(t.derivation ?? 'restriction');
    t = t.base;
  }
  if (t === head) return methods;
  // The chain ends at a type without a named complex base: it derives from xs:anyType by restriction.
  if (head.kind === 'anyType') {
    methods.add('restriction');
    return methods;
  }
  return undefined;
}
