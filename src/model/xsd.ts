/**
 * The resolved XML Schema model: plain data, built once at load time by compile/xsd.ts
 * and read by the JSON Schema generator and the codec compiler. Nothing here parses XML.
 */

/** Where a component was declared, for `file:line:col` diagnostics. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** An expanded name. `ns` is '' for names in no namespace. */
export interface QName {
  ns: string;
  local: string;
}

/** The built-in simple types that decide how a value looks in JSON and on the wire. */
export type BuiltinKind =
  | 'string'
  | 'boolean'
  | 'float'
  | 'double'
  | 'decimal'
  | 'integer' // integer and its unbounded/big subtypes: long, unsignedLong, (non)positive/negativeInteger
  | 'int' // integer types that always fit a double: int, short, byte and their unsigned kin
  | 'dateTime'
  | 'date'
  | 'time'
  | 'duration'
  | 'gYear'
  | 'gYearMonth'
  | 'gMonth'
  | 'gMonthDay'
  | 'gDay'
  | 'base64Binary'
  | 'hexBinary'
  | 'anyURI'
  | 'QName'
  | 'anySimpleType';

export interface Facets {
  enumeration?: string[];
  /** Each entry is one `pattern` facet step (all must match); each step holds alternatives (any may match). */
  patterns?: string[][];
  length?: number;
  minLength?: number;
  maxLength?: number;
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
  totalDigits?: number;
  fractionDigits?: number;
  whiteSpace?: 'preserve' | 'replace' | 'collapse';
}

export interface SimpleType {
  kind: 'simple';
  /** Name for named types; undefined for anonymous ones. */
  name?: QName;
  /** The built-in local name this type derives from (e.g. 'long', 'token'), for range checks. */
  builtinName: string;
  builtin: BuiltinKind;
  variety: 'atomic' | 'list' | 'union';
  itemType?: SimpleType;
  memberTypes?: SimpleType[];
  facets: Facets;
  documentation?: string;
  pos?: SourcePos;
}

export interface AttributeUse {
  name: QName;
  type: SimpleType;
  required: boolean;
  prohibited?: boolean;
  default?: string;
  fixed?: string;
  documentation?: string;
}

export interface ElementDecl {
  name: QName;
  /** Resolved lazily so that recursive types can refer to themselves. */
  type: XsdType;
  nillable: boolean;
  abstract: boolean;
  default?: string;
  fixed?: string;
  documentation?: string;
  /** True for top-level declarations (and refs to them). */
  global: boolean;
  pos?: SourcePos;
}

export type Particle = ElementParticle | GroupParticle | AnyParticle;

export interface ElementParticle {
  kind: 'element';
  decl: ElementDecl;
  /** JSON property name when it differs from the element's local name (message parts). */
  jsonName?: string;
  min: number;
  max: number; // Infinity for unbounded
}

export interface GroupParticle {
  kind: 'sequence' | 'choice' | 'all';
  items: Particle[];
  min: number;
  max: number;
}

export interface AnyParticle {
  kind: 'any';
  /** '##any', '##other', '##local', '##targetNamespace' or a list of namespaces, resolved. */
  namespaces: { mode: 'any' } | { mode: 'not'; ns: string[] } | { mode: 'list'; ns: string[] };
  processContents: 'strict' | 'lax' | 'skip';
  min: number;
  max: number;
}

export type ComplexContent =
  | { kind: 'empty' }
  | { kind: 'simple'; type: SimpleType }
  | { kind: 'elements'; particle: GroupParticle; mixed: boolean };

export interface ComplexType {
  kind: 'complex';
  name?: QName;
  attributes: AttributeUse[];
  anyAttribute: boolean;
  /**
   * The namespaces `anyAttribute` admits (any of the wildcards), when known; undefined admits
   * every namespace.
   */
  anyAttributeNamespaces?: AnyParticle['namespaces'][];
  content: ComplexContent;
  abstract: boolean;
  /** The type this one extends or restricts, when it is a named complex type. */
  base?: ComplexType;
  /** How this type derives from its base (complexContent/simpleContent), when it has one. */
  derivation?: 'extension' | 'restriction';
  documentation?: string;
  pos?: SourcePos;
  /** Set when the type was built for an rpc message or a bare document message. */
  synthetic?: 'rpc' | 'bare';
  /**
   * A SOAP-encoded array (a restriction of soapenc:Array): its JSON form is a JSON array of
   * `item` values. `item` is the member accessor (unqualified; its name is only what is
   * written, readers take any name) typed by the wsdl:arrayType or the restriction's element.
   */
  soapArray?: { item: ElementDecl };
}

/** xs:anyType: any content, kept as XML in JSON. */
export interface AnyType {
  kind: 'anyType';
  /**
   * Set when the loader stood in xs:anyType for a reference it could not resolve (an undefined
   * name, an unbound prefix, a misspelt built-in): the problem, as the load warning gives it.
   */
  unresolved?: string;
}

export type XsdType = SimpleType | ComplexType | AnyType;

export function clark(q: QName): string {
  return q.ns ? `{${q.ns}}${q.local}` : q.local;
}
