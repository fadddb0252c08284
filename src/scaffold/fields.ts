/**
 * The fields of an operation's message as the scaffold lists them: one line per field that a
 * mapping rule can name, with its XSD type, whether it is required, and its documentation.
 *
 * The structure (names, required, lists, choices) comes from the bundle's JSON Schema through
 * SchemaView, the same reader the mapping compiler checks rules with, so every path listed is a
 * path the compiler accepts. The XSD model is read alongside only for the type names the JSON
 * Schema does not keep (`xs:int` rather than "integer").
 */
import { shapeOf, type TypeShape } from '../compile/shape';
import type { FieldInfo, SchemaView } from '../mapping/schema-view';
import type { JsonSchema } from '../model/route';
import type { ComplexType, QName, SimpleType, XsdType } from '../model/xsd';
import { XSD_NS } from '../xml/source';
import { mappableName, oneLine } from './yaml-text';

/** A line of the listing: a rule the integrator may uncomment, or a note about a structure. */
export interface FieldLine {
  kind: 'rule' | 'note';
  path: string[];
  label: string;
  /** A value a URL or header parameter can give (a simple value, or a list of them). */
  param: boolean;
}

export interface FieldListing {
  lines: FieldLine[];
  /** Fields left out once the budget was spent. */
  omitted: number;
}

export interface ListingLimits {
  /** How many levels of nested structures are opened (1: top-level fields only). */
  depth: number;
  /** Most lines per message. */
  lines: number;
}

/** One level of the walk: the JSON Schema of an object and, where known, its XSD type. */
interface Level {
  schema: JsonSchema;
  xsd?: ComplexType;
  path: string[];
  /** Resolved schemas of the enclosing structures, to stop at recursion. */
  open: Set<JsonSchema>;
}

const ENUM_SHOWN = 6;

function qnameLabel(q: QName): string {
  return q.ns === XSD_NS ? `xs:${q.local}` : q.local;
}

function simpleLabel(st: SimpleType): string {
  if (st.variety === 'list') return `list of ${st.itemType ? simpleLabel(st.itemType) : 'values'} (space-separated)`;
  if (st.variety === 'union') return st.name ? qnameLabel(st.name) : 'union of simple types';
  const base = st.name ? qnameLabel(st.name) : `xs:${st.builtinName}`;
  const values = st.facets.enumeration;
  // A named type of the WSDL's own says little alone: `Sku (xs:string)`.
  if (!values?.length) return st.name && st.name.ns !== XSD_NS && st.builtinName ? `${base} (xs:${st.builtinName})` : base;
  const shown = values.slice(0, ENUM_SHOWN).map((v) => oneLine(v, 24));
  return `${base}: ${shown.join(' | ')}${values.length > ENUM_SHOWN ? ` | … (${values.length} values)` : ''}`;
}

function shapeOrUndefined(t: ComplexType): TypeShape | undefined {
  try {
    return shapeOf(t);
  } catch {
    return undefined; // the compiler already disabled what it cannot shape
  }
}

function typeLabel(t: XsdType): string {
  if (t.kind === 'simple') return simpleLabel(t);
  if (t.kind === 'anyType') return 'xs:anyType (any XML)';
  if (t.name) return qnameLabel(t.name);
  const shape = shapeOrUndefined(t);
  return shape?.kind === 'scalar' && shape.valueType ? simpleLabel(shape.valueType) : 'structure';
}

/** What the XSD model says about one JSON property of a complex type. */
function xsdOf(parent: ComplexType | undefined, name: string): { label?: string; child?: ComplexType; doc?: string } {
  const shape = parent ? shapeOrUndefined(parent) : undefined;
  if (!shape) return {};
  const el = shape.elements.find((e) => e.jsonName === name);
  if (el) return { label: typeLabel(el.decl.type), child: el.decl.type.kind === 'complex' ? el.decl.type : undefined, doc: el.decl.documentation };
  const attr = shape.attrs.find((a) => a.jsonName === name);
  if (attr) return { label: `${simpleLabel(attr.use.type)} attribute`, doc: attr.use.documentation };
  if (name === '$value' && shape.valueType) return { label: `${simpleLabel(shape.valueType)}, the element's text` };
  if (name === '$any') return { label: 'XML allowed by xs:any, as a string' };
  return {};
}

function descriptionOf(view: SchemaView, s: JsonSchema): string | undefined {
  const own = typeof s.description === 'string' ? s.description : undefined;
  if (own) return own;
  const items = view.resolve(s).items;
  if (items && typeof items === 'object' && typeof (items as JsonSchema).description === 'string') return (items as JsonSchema).description as string;
  return undefined;
}

function jsonTypeLabel(view: SchemaView, s: JsonSchema): string {
  const kind = view.kind(s);
  if (kind === 'object') return 'structure';
  if (kind === 'any') return 'any value';
  return view.types(s).join(' or ') || 'value';
}

/** The label of one field: type, list, required-ness, nil, choice, then its documentation. */
function fieldLabel(view: SchemaView, info: FieldInfo, xsd: ReturnType<typeof xsdOf>, children: string[]): string {
  const isList = view.kind(info.schema) === 'array';
  const itemSchema = isList ? ((view.resolve(info.schema).items ?? {}) as JsonSchema) : info.schema;
  const type = xsd.label ?? jsonTypeLabel(view, itemSchema);
  const parts = [isList ? `list of ${type}` : type];
  const minItems = view.resolve(info.schema).minItems;
  if (info.required) parts.push(isList && typeof minItems === 'number' && minItems > 0 ? `required (at least ${minItems})` : 'required');
  else parts.push('optional');
  if (view.nullable(info.schema) || (isList && view.nullable(itemSchema))) parts.push('nillable');
  if (info.inChoice) parts.push('one branch of a choice');
  let label = parts.join(', ');
  if (children.length) label += ` {${children.join(', ')}}`;
  const doc = descriptionOf(view, info.schema) ?? xsd.doc;
  return oneLine(doc ? `${label} — ${doc}` : label);
}

/** Names of an object's fields, for a one-line summary of a structure that is not opened. */
function childNames(view: SchemaView, s: JsonSchema, max = 6): string[] {
  const r = view.kind(s) === 'array' ? ((view.resolve(s).items ?? {}) as JsonSchema) : s;
  if (view.kind(r) !== 'object') return [];
  const names = [...view.properties(r).keys()];
  return names.length > max ? [...names.slice(0, max).map((n) => oneLine(n, 40)), '…'] : names.map((n) => oneLine(n, 40));
}

function takesParam(view: SchemaView, s: JsonSchema): boolean {
  const kind = view.kind(s);
  if (kind === 'scalar') return true;
  return kind === 'array' && view.kind((view.resolve(s).items ?? {}) as JsonSchema) === 'scalar';
}

/**
 * Lists the fields of a message's JSON form. A structure within the depth limit is shown as a
 * note followed by its own fields (rules on the leaves let an integrator rename each one);
 * lists, structures past the limit, recursive types and xs:any are one rule each, since a
 * mapping moves them whole and cannot reach into list items.
 */
export function listFields(view: SchemaView, root: JsonSchema, xsd: ComplexType | undefined, limits: ListingLimits): FieldListing {
  const out: FieldListing = { lines: [], omitted: 0 };
  if (view.kind(root) !== 'object') return out;
  const walk = (level: Level): void => {
    for (const [name, info] of view.properties(level.schema)) {
      const path = [...level.path, name];
      if (out.lines.length >= limits.lines) {
        out.omitted++;
        continue;
      }
      const x = xsdOf(level.xsd, name);
      if (!path.every(mappableName)) {
        out.lines.push({ kind: 'note', path, label: `${fieldLabel(view, info, x, [])} (a mapping cannot name this field)`, param: false });
        continue;
      }
      const resolved = view.resolve(info.schema);
      const opens = view.kind(info.schema) === 'object' && path.length < limits.depth && !level.open.has(resolved) && view.properties(info.schema).size > 0;
      if (!opens) {
        const recursive = view.kind(info.schema) === 'object' && level.open.has(resolved);
        const summary = view.kind(info.schema) === 'scalar' ? [] : childNames(view, info.schema);
        out.lines.push({ kind: 'rule', path, label: fieldLabel(view, info, x, summary) + (recursive ? ' (recursive)' : ''), param: takesParam(view, info.schema) });
        continue;
      }
      out.lines.push({ kind: 'note', path, label: fieldLabel(view, info, x, []), param: false });
      walk({ schema: info.schema, xsd: x.child, path, open: new Set([...level.open, resolved]) });
    }
  };
  walk({ schema: root, xsd, path: [], open: new Set([view.resolve(root)]) });
  return out;
}
