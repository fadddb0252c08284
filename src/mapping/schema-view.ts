/**
 * Reading the bundle's JSON Schema document the way mapping checks need it: what a field path
 * leads to, which properties an object has and which it requires, what scalar types a value
 * may take. It understands exactly the forms compile/json-schema.ts writes: `$ref` into `$defs`,
 * nullable wrappers, objects whose xs:choice branches sit in `allOf` as if/then/else chains, and
 * arrays for repeated elements.
 */
import type { JsonSchema } from '../model/route';
import { isObject, type FieldPath } from './fields';

export type SchemaKind = 'object' | 'array' | 'scalar' | 'any';

export interface FieldInfo {
  schema: JsonSchema;
  /** Required in its parent (false inside a choice branch). */
  required: boolean;
  /** Defined in a branch of an xs:choice. */
  inChoice: boolean;
}

export type Lookup = { ok: true; field: FieldInfo } | { ok: false; depth: number; reason: string; known: string[] };

export class SchemaView {
  private readonly defs: Record<string, JsonSchema>;
  private readonly id: string;

  constructor(doc: JsonSchema) {
    this.defs = (doc.$defs ?? {}) as Record<string, JsonSchema>;
    this.id = String(doc.$id ?? '');
  }

  /** The schema of a `$defs` entry, as an absolute reference (for schemas published outside the document). */
  refTo(def: string): JsonSchema {
    return { $ref: `${this.id}#/$defs/${def}` };
  }

  def(name: string): JsonSchema {
    return this.defs[name] ?? {};
  }

  /** A deep copy whose `$ref`s into the document are absolute, so it can stand on its own. */
  absolute(s: JsonSchema): JsonSchema {
    const copy = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(copy);
      if (!isObject(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#') ? `${this.id}${x}` : copy(x);
      return out;
    };
    return copy(s) as JsonSchema;
  }

  /** Follows `$ref`s and drops the nullable wrapper, to the schema that says what a value is. */
  resolve(s: JsonSchema): JsonSchema {
    let cur = s;
    for (let i = 0; i < 64; i++) {
      if (typeof cur.$ref === 'string') {
        const m = /#\/\$defs\/(.+)$/.exec(cur.$ref);
        cur = m ? (this.defs[decodeURIComponent(m[1])] ?? {}) : {};
        continue;
      }
      const cond = cur.if as JsonSchema | undefined;
      if (cond && cond.type === 'null' && isObject(cur.else) && cur.then === undefined) {
        cur = cur.else as JsonSchema;
        continue;
      }
      return cur;
    }
    return cur;
  }

  nullable(s: JsonSchema): boolean {
    if (Array.isArray(s.type) && s.type.includes('null')) return true;
    const cond = s.if as JsonSchema | undefined;
    return !!cond && cond.type === 'null';
  }

  kind(s: JsonSchema): SchemaKind {
    const r = this.resolve(s);
    const types = this.types(r);
    if (types.includes('object') && isObject(r.properties) && '$any' in (r.properties as object) && types.includes('string')) return 'any';
    if (types.includes('object')) return 'object';
    if (types.includes('array')) return 'array';
    if (types.length === 0 && r.properties === undefined) return 'any';
    return 'scalar';
  }

  /** The JSON types a value may have (without null). */
  types(s: JsonSchema): string[] {
    const r = this.resolve(s);
    const t = r.type;
    const list = Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : r.properties ? ['object'] : [];
    return list.filter((x) => x !== 'null');
  }

  /** Every property an object may have, with its schema: its own, then those of its choice branches. */
  properties(s: JsonSchema): Map<string, FieldInfo> {
    const r = this.resolve(s);
    const out = new Map<string, FieldInfo>();
    const required = new Set(Array.isArray(r.required) ? (r.required as string[]) : []);
    for (const [name, schema] of Object.entries((r.properties ?? {}) as Record<string, JsonSchema | boolean>)) {
      if (schema !== false) out.set(name, { schema: schema === true ? {} : schema, required: required.has(name), inChoice: false });
    }
    for (const part of (r.allOf ?? []) as JsonSchema[]) this.choiceProperties(part, out);
    return out;
  }

  private choiceProperties(s: JsonSchema, out: Map<string, FieldInfo>): void {
    for (let cur: JsonSchema | undefined = s; cur && isObject(cur); cur = cur.else as JsonSchema | undefined) {
      const then = cur.then as JsonSchema | undefined;
      if (!then) break;
      for (const [name, schema] of Object.entries((then.properties ?? {}) as Record<string, JsonSchema | boolean>)) {
        if (schema !== false && !out.has(name)) out.set(name, { schema: schema === true ? {} : schema, required: false, inChoice: true });
      }
      for (const part of (then.allOf ?? []) as JsonSchema[]) this.choiceProperties(part, out);
    }
  }

  /** Names of the xs:choice groups of an object that need one branch: each as the list of its names. */
  requiredChoices(s: JsonSchema): string[][] {
    const r = this.resolve(s);
    const out: string[][] = [];
    for (const part of (r.allOf ?? []) as JsonSchema[]) {
      let cur: JsonSchema | undefined = part;
      while (cur && isObject(cur.else)) cur = cur.else as JsonSchema;
      const names = cur?.['x-xsd-choice'];
      if (Array.isArray(names)) out.push(names as string[]);
    }
    return out;
  }

  /** What a field path leads to from `root`. Lists cannot be stepped through. */
  lookup(root: JsonSchema, path: FieldPath, rootName = 'the message'): Lookup {
    let info: FieldInfo = { schema: root, required: true, inChoice: false };
    for (let i = 0; i < path.length; i++) {
      const kind = this.kind(info.schema);
      if (kind === 'array') return { ok: false, depth: i, reason: `${path.slice(0, i).join('.')} is a list; a mapping cannot reach into its items`, known: [] };
      if (kind !== 'object') return { ok: false, depth: i, reason: `${path.slice(0, i).join('.') || rootName} has no fields`, known: [] };
      const props = this.properties(info.schema);
      const next = props.get(path[i]);
      if (!next) {
        const where = path.slice(0, i).join('.');
        return { ok: false, depth: i, reason: `${where ? `${where} (in ${rootName})` : rootName} has no field "${path[i]}"`, known: [...props.keys()] };
      }
      info = next;
    }
    return { ok: true, field: info };
  }
}
