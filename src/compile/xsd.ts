/**
 * XML Schema components: registers every top-level definition of the loaded schema
 * documents, then resolves references on demand into the model of model/xsd.ts.
 * Only what operations reach is resolved; a broken definition nobody uses costs nothing.
 */
import { LoadError } from './diagnostics';
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

  constructor(schemas: SchemaDoc[]) {
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
    let hint = '';
    if (!this.namespaces.has(q.ns))
      hint = q.ns ? ` (no schema for namespace "${q.ns}" is loaded)` : ' (no schema without targetNamespace is loaded)';
    else {
      const near = [...this.registry[kind].keys()].find((k) => k.toLowerCase() === clark(q).toLowerCase());
      if (near) hint = ` (did you mean ${near}?)`;
    }
    throw new LoadError(at.pos, `${what} ${describe(q)} is not defined${hint}`);
  }

  // ---- public entry points (used by the WSDL compiler) --------------------------------

  element(q: QName, at: SNode): ElementDecl {
    return this.session(() => this.globalElement(this.lookup('element', q, at, 'element'), q));
  }

  type(q: QName, at: SNode): XsdType {
    return this.session(() => this.typeByName(q, at));
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

  private typeByName(q: QName, at: SNode): XsdType {
    if (q.ns === XSD_NS) {
      if (q.local === 'anyType' || q.local === 'ur-type') return ANY_TYPE;
      return this.builtin(q.local, at);
    }
    if (q.ns === SOAPENC_NS || q.ns === SOAPENC12_NS) {
      const soapenc = this.soapEncType(q.local);
      if (soapenc) return soapenc;
    }
    return this.namedType(this.lookup('type', q, at, 'type'));
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
    if (ref) return this.typeByName(this.qname(node, ref, schema), node);
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
    const q = this.qname(node, value, schema);
    let t: XsdType;
    if (entry?.original && entry.schema.targetNamespace === q.ns && clark(q) === clark({ ns: entry.schema.targetNamespace, local: attr(entry.node, 'name')!.trim() }))
      t = this.namedType(entry.original);
    else t = this.typeByName(q, node);
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
    throw new LoadError(node.pos, 'xs:simpleType needs xs:restriction, xs:list or xs:union');
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

  private baseComplex(node: SNode, schema: SchemaDoc, entry: Entry | undefined): { base: XsdType; q: QName } {
    const baseName = attr(node, 'base');
    if (!baseName) throw new LoadError(node.pos, `xs:${node.local} needs a base attribute`);
    const q = this.qname(node, baseName, schema);
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
      return { base: this.typeByName(q, node), q };
    } finally {
      if (entry) this.deriving.delete(entry);
    }
  }

  private fillSimpleContent(t: ComplexType, sc: SNode, schema: SchemaDoc, entry?: Entry): void {
    const step = firstChild(sc, XSD_NS, 'extension') ?? firstChild(sc, XSD_NS, 'restriction');
    if (!step) throw new LoadError(sc.pos, 'xs:simpleContent needs xs:extension or xs:restriction');
    const { base, q } = this.baseComplex(step, schema, entry);
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
    } else if (base.kind === 'anyType') valueType = this.builtin('anySimpleType');
    else throw new LoadError(step.pos, `simpleContent base ${describe(q)} does not have simple content`);
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
    const { base, q } = this.baseComplex(step, schema, entry);
    const own = this.attributes(step, schema);
    const particle = this.particleChild(step, schema);
    if (base.kind === 'simple') throw new LoadError(step.pos, `complexContent base ${describe(q)} is a simple type (use xs:simpleContent)`);
    if (base.kind === 'complex' && base.name?.ns === SOAPENC_NS && base.name.local === 'Array') {
      return this.fillSoapArray(t, step, schema, particle, own.uses);
    }
    if (base.kind === 'complex') t.base = base;
    const baseAttrs = base.kind === 'complex' ? base.attributes : [];
    const baseAny = base.kind === 'complex' ? base.anyAttribute : false;
    if (step.local === 'extension') {
      const baseParticle = base.kind === 'complex' && base.content.kind === 'elements' ? base.content.particle : undefined;
      if (base.kind === 'complex' && base.content.kind === 'simple' && particle)
        throw new LoadError(step.pos, `cannot add elements to ${describe(q)}, which has simple content`);
      if (base.kind === 'complex' && base.content.kind === 'simple') t.content = base.content;
      else if (baseParticle && particle)
        t.content = { kind: 'elements', particle: { kind: 'sequence', items: [baseParticle, particle], min: 1, max: 1 }, mixed };
      else t.content = this.contentOf(particle ?? baseParticle, mixed);
      t.attributes = this.mergeAttributes(baseAttrs, own.uses);
      t.anyAttribute = baseAny || own.any;
      // An extension admits what its base's wildcard or its own admits (when both are known).
      const baseNs = base.kind === 'complex' && base.anyAttribute ? base.anyAttributeNamespaces : [];
      if (t.anyAttribute && baseNs) t.anyAttributeNamespaces = [...baseNs, ...own.anyNs];
    } else {
      t.content = this.contentOf(particle, mixed);
      t.attributes = this.mergeAttributes(baseAttrs, own.uses);
      t.anyAttribute = own.any;
      if (own.any) t.anyAttributeNamespaces = own.anyNs;
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
      itemType = this.typeByName(this.qname(arrayType.node, base, schema), arrayType.node);
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
        return { kind: 'element', decl: this.elementDecl(node, schema), min, max };
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

  private elementDecl(node: SNode, schema: SchemaDoc): ElementDecl {
    const ref = attr(node, 'ref');
    if (ref) {
      const q = this.qname(node, ref, schema);
      return this.globalElement(this.lookup('element', q, node, 'element'), q);
    }
    const name = attr(node, 'name');
    if (!name) throw new LoadError(node.pos, 'xs:element needs a name or a ref attribute');
    const form = attr(node, 'form');
    const qualified = form ? form === 'qualified' : schema.elementQualified;
    return this.declFrom(node, schema, { ns: qualified ? schema.targetNamespace : '', local: name.trim() }, false);
  }

  private globalElement(entry: Entry, q: QName): ElementDecl {
    const known = this.elements.get(entry);
    if (known) return known;
    const failure = this.failed.get(entry);
    if (failure) throw failure;
    const decl: ElementDecl = { name: { ns: entry.schema.targetNamespace, local: q.local }, type: ANY_TYPE, nillable: false, abstract: false, global: true, pos: entry.node.pos };
    this.elements.set(entry, decl);
    this.created.push(entry);
    Object.assign(decl, this.declFrom(entry.node, entry.schema, decl.name, true));
    return decl;
  }

  private declFrom(node: SNode, schema: SchemaDoc, name: QName, global: boolean): ElementDecl {
    const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';
    let type = this.typeOf(node, schema);
    if (!type) {
      // No type: the head of its substitution group gives it, else xs:anyType.
      const head = attr(node, 'substitutionGroup');
      const q = head ? this.qname(node, head, schema) : undefined;
      type = q ? this.globalElement(this.lookup('element', q, node, 'element'), q).type : ANY_TYPE;
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
