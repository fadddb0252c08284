/**
 * The bundles' JSON Schemas as OpenAPI 3.1 `components.schemas`. Each `$defs` entry that a
 * route reaches becomes one component named `{service}.{def}` (so two services may both have
 * an `AddRequest`), every `$ref` (relative to the bundle document, or absolute
 * `{$id}#/$defs/X` as routes write them) points at `#/components/schemas/...`, and keywords
 * that are neither JSON Schema 2020-12 nor OpenAPI become `x-` extensions (`xsdNumeric` ->
 * `x-xsd-numeric`), so that no tool meets an unknown keyword.
 */
import type { JsonSchema } from '../model/route';

/** Keywords whose value is a schema. */
const SCHEMA_ONE = new Set(['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'contentSchema']);
/** Keywords whose value is an array of schemas. */
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP = new Set(['properties', 'patternProperties', 'dependentSchemas']);
/** Keywords kept as they are: JSON Schema 2020-12 validation and annotations, and OpenAPI's own. */
const PLAIN = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains',
  'maxProperties', 'minProperties', 'required', 'dependentRequired', 'format', 'title', 'description',
  'default', 'deprecated', 'readOnly', 'writeOnly', 'examples', 'contentEncoding', 'contentMediaType',
  '$comment', 'discriminator', 'xml', 'externalDocs',
]);
/** Document-level keywords that mean nothing inside components. */
const DROPPED = new Set(['$id', '$schema', '$defs', '$vocabulary', 'definitions', '$anchor', '$dynamicAnchor', '$dynamicRef']);

/** `xsdNumeric` -> `x-xsd-numeric`. */
export function extensionName(keyword: string): string {
  return `x-${keyword.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^[^A-Za-z0-9]+/, '')}`;
}

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A component name: what OpenAPI allows in `components` keys. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_') || '_';
}

interface SourceDoc {
  doc: JsonSchema;
  prefix: string;
}

export class ComponentSchemas {
  readonly schemas: Record<string, JsonSchema | boolean> = {};
  readonly warnings: string[] = [];
  private readonly docs = new Map<string, SourceDoc>();
  /** `{$id}#/$defs/{name}` -> component name. */
  private readonly names = new Map<string, string>();
  private readonly taken: Set<string>;
  private readonly queue: { component: string; source: SourceDoc; def: string }[] = [];

  /** `reserved`: component names used by the document itself (Problem, ...). */
  constructor(reserved: string[] = []) {
    this.taken = new Set(reserved);
  }

  /** Registers a bundle's schema document; its definitions are named `{service}.{def}`. */
  addDocument(doc: JsonSchema, service: string): void {
    if (typeof doc.$id === 'string') this.docs.set(doc.$id, { doc, prefix: safeName(service) });
  }

  /** The schema (from a route, or anything in `doc`) for the OpenAPI document; relative `$ref`s resolve against `doc`. */
  translate(schema: unknown, doc: JsonSchema): unknown {
    const source = typeof doc.$id === 'string' ? this.docs.get(doc.$id) : undefined;
    const out = this.walk(schema, source);
    this.drain();
    return out;
  }

  private drain(): void {
    // Definitions are translated one at a time from a queue: recursive types only refer to names.
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      const defs = job.source.doc.$defs as Record<string, unknown>;
      this.schemas[job.component] = this.walk(defs[job.def], job.source) as JsonSchema | boolean;
    }
  }

  private walk(schema: unknown, source: SourceDoc | undefined): unknown {
    if (!isObject(schema)) return schema;
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string') {
        const target = this.refFor(v, source);
        if (target) out.$ref = target;
        else {
          this.warnings.push(`$ref ${v} does not point at a definition of a loaded bundle; left as an unconstrained schema`);
          out['x-unresolved-ref'] = v;
        }
      } else if (SCHEMA_ONE.has(k)) out[k] = this.walk(v, source);
      else if (SCHEMA_LIST.has(k) && Array.isArray(v)) out[k] = v.map((m) => this.walk(m, source));
      else if (SCHEMA_MAP.has(k) && isObject(v)) out[k] = Object.fromEntries(Object.entries(v).map(([n, m]) => [n, this.walk(m, source)]));
      else if (PLAIN.has(k) || k.startsWith('x-')) out[k] = v;
      else if (!DROPPED.has(k)) out[extensionName(k)] = v;
    }
    return out;
  }

  /** `#/components/schemas/...` for a `$ref` into a registered document; undefined for any other. */
  private refFor(ref: string, source: SourceDoc | undefined): string | undefined {
    const hash = ref.indexOf('#');
    const uri = hash < 0 ? ref : ref.slice(0, hash);
    const target = uri === '' ? source : this.docs.get(uri);
    const m = /^\/\$defs\/([^/]+)(\/.*)?$/.exec(hash < 0 ? '' : ref.slice(hash + 1));
    if (!target || !m) return undefined;
    let def: string;
    try {
      def = decodeURIComponent(m[1]).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    const defs = target.doc.$defs;
    if (!isObject(defs) || !Object.prototype.hasOwnProperty.call(defs, def)) return undefined;
    return `#/components/schemas/${this.componentFor(target, def)}${m[2] ?? ''}`;
  }

  private componentFor(source: SourceDoc, def: string): string {
    const key = `${String(source.doc.$id)}#${def}`;
    const known = this.names.get(key);
    if (known) return known;
    const base = `${source.prefix}.${safeName(def)}`;
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    this.names.set(key, name);
    this.queue.push({ component: name, source, def });
    return name;
  }
}

