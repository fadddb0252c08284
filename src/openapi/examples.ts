/**
 * Examples for one bundle's routes: a deterministic sample of the schema (sample/), published
 * only when the bundle's own validators accept it. A schema that cannot be sampled, or a
 * sample that does not validate, gives no example and a reason, never a wrong example.
 */
import type Ajv2020 from 'ajv/dist/2020';
import type { Bundle } from '../compile';
import { createAjv } from '../compile/ajv';
import type { JsonSchema } from '../model/route';
import { Sampler } from '../sample';

export type ExampleResult = { ok: true; value: unknown } | { ok: false; reason: string };

type Check = (value: unknown) => boolean;

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema with `#/...` references made absolute to the bundle document (routes may use either). */
export function absoluteRefs(schema: unknown, id: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => absoluteRefs(s, id));
  if (!isObject(schema)) return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${id}${v}` : absoluteRefs(v, id);
  return out;
}

export class BundleExamples {
  private readonly sampler: Sampler;
  private readonly id: string;
  /** Validators the bundle compiled at load, by `$defs` name (the default routes' schemas). */
  private readonly byDef = new Map<string, Check>();
  private ajv?: Ajv2020;

  constructor(private readonly bundle: Bundle) {
    this.sampler = new Sampler([bundle.schema]);
    this.id = String(bundle.schema.$id ?? '');
    for (const op of bundle.operations.values()) {
      this.byDef.set(op.inputDef, (v) => op.validateInput(v) === undefined);
      const out = op.outputDef;
      if (out !== undefined) this.byDef.set(out, (v) => op.validateOutput(v) === undefined);
    }
  }

  example(schema: JsonSchema): ExampleResult {
    const sample = this.sampler.sample(schema, this.bundle.schema);
    if (!sample.ok) return { ok: false, reason: `no sample: ${sample.reason}` };
    const check = this.checkFor(schema);
    if (!check) return { ok: false, reason: 'the schema does not compile, so a sample cannot be checked' };
    return check(sample.value) ? sample : { ok: false, reason: 'the sample does not validate against the schema' };
  }

  private checkFor(schema: JsonSchema): Check | undefined {
    const keys = Object.keys(schema);
    const ref = schema.$ref;
    if (typeof ref === 'string' && keys.every((k) => k === '$ref' || k === 'description')) {
      const m = /^(.*)#\/\$defs\/([^/]+)$/.exec(ref);
      const known = m && (m[1] === this.id || m[1] === '') ? this.byDef.get(m[2]) : undefined;
      if (known) return known;
    }
    try {
      if (!this.ajv) {
        this.ajv = createAjv();
        this.ajv.addSchema(this.bundle.schema);
      }
      const validate = this.ajv.compile(absoluteRefs(schema, this.id) as JsonSchema);
      return (v) => validate(v) === true;
    } catch {
      return undefined;
    }
  }
}
