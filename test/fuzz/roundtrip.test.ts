/**
 * Property: JSON -> XML -> JSON is the identity for every schema-valid value of the demo
 * operations (input and output of every operation of the three demo bundles, every SOAP version
 * their bindings offer). Values come from test/fuzz/arbitrary.ts, derived from the bundle's JSON
 * Schema. A second property: a string with a character XML 1.0 cannot carry is refused by
 * validateInput with a violation at its pointer (never written, never a crash).
 *
 * FUZZ_RUNS overrides the number of runs per property; FUZZ_SEED replays a failure.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { compileBundleDir, type Bundle, type CompiledOperation } from '../../src/compile';
import { closeEnvelope, openEnvelope } from '../../src/soap/envelope';
import { XmlStream } from '../../src/xml/stream';
import { BridgeError } from '../../src/errors/catalogue';
import { encodeRequest } from '../../src/pipeline/rest-to-soap';
import { ROOT } from '../support/compile';
import { anyUnicode, arbitraryFor, xmlWritable } from './arbitrary';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
export const fuzzParams = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

function loadDemo(name: string): Bundle {
  const r = compileBundleDir(path.join(ROOT, 'wsdl', name), { env: { ...process.env } });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(r.bundle);
  return r.bundle;
}

function decode(op: CompiledOperation, envelope: string, which: 'request' | 'reply'): { value: unknown; errors: unknown[] } {
  const s = new XmlStream(envelope);
  const { version } = openEnvelope(s);
  assert.equal(version, op.soapVersion);
  const r = which === 'request' ? op.decodeRequest(s) : op.decodeReply(s);
  closeEnvelope(s, version);
  return r;
}

/** Check, with the seed and the counterexample in the message when it fails. */
function check<T>(prop: fc.IProperty<T>): void {
  const out = fc.check(prop, fuzzParams);
  if (out.failed) {
    throw new Error(
      `property failed (seed ${out.seed}, path "${out.counterexamplePath ?? ''}"; replay with FUZZ_SEED=${out.seed}) after ${out.numRuns} runs\n` +
        `counterexample: ${fc.stringify(out.counterexample)}\n${out.errorInstance instanceof Error ? out.errorInstance.stack : String(out.errorInstance)}`,
    );
  }
}

/** Every string leaf of a value with its JSON Pointer. */
function stringLeaves(v: unknown, ptr = ''): { ptr: string; set: (s: string) => void }[] {
  const out: { ptr: string; set: (s: string) => void }[] = [];
  if (v && typeof v === 'object') {
    for (const [k, c] of Object.entries(v as Record<string, unknown>)) {
      const p = `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (typeof c === 'string') out.push({ ptr: p, set: (s) => ((v as Record<string, unknown>)[k] = s) });
      else out.push(...stringLeaves(c, p));
    }
  }
  return out;
}

for (const bundleName of ['calculator', 'orders', 'inventory']) {
  describe(`fuzz: JSON -> XML -> JSON round trip, ${bundleName}`, function () {
    this.timeout(120000);
    const bundle = loadDemo(bundleName);
    const doc = bundle.schema as unknown as { $defs: Record<string, Record<string, unknown>> };
    const ops: CompiledOperation[] = [];
    for (const byKey of bundle.soapOperations.values()) for (const list of byKey.values()) ops.push(...list);
    it('covers every operation of every binding', () => {
      assert.ok(ops.length >= 4);
      if (bundleName !== 'orders') assert.deepEqual(new Set(ops.map((o) => o.soapVersion)), new Set(['1.1', '1.2']));
    });

    for (const op of ops) {
      const messages: { which: 'request' | 'reply'; def: string | undefined }[] = [
        { which: 'request', def: op.inputDef },
        { which: 'reply', def: op.outputDef },
      ];
      for (const { which, def } of messages) {
        if (!def) continue;
        it(`${op.name} (SOAP ${op.soapVersion}) ${which}: validate -> encode -> decode is the identity`, () => {
          const validate = which === 'request' ? op.validateInput.bind(op) : op.validateOutput.bind(op);
          const encode = which === 'request' ? (v: unknown) => op.encodeRequest(v) : (v: unknown) => op.encodeResponse(v);
          check(
            fc.property(arbitraryFor(doc, def), (value) => {
              const snapshot = structuredClone(value);
              assert.equal(validate(value), undefined, 'the generated value is schema-valid');
              const xml = encode(value);
              const back = decode(op, xml, which);
              assert.deepEqual(back.errors, [], `no decoding errors for ${xml}`);
              assert.deepStrictEqual(back.value, snapshot, `round trip through ${xml}`);
            }),
          );
        });
      }
    }

    const withStrings = ops.filter((o) => o.soapVersion === '1.1');
    for (const op of withStrings) {
      it(`${op.name}: a string XML 1.0 cannot carry is a 400 (VALIDATION_FAILED) at its pointer, never written`, function () {
        const valid = arbitraryFor(doc, op.inputDef);
        if (!fc.sample(valid, { numRuns: 50, seed: 1 }).some((v) => stringLeaves(v).length > 0)) this.skip();
        const arb = fc.tuple(valid, anyUnicode.filter((s) => !xmlWritable(s)), fc.nat());
        check(
          fc.property(arb, ([value, bad, pick]) => {
            const leaves = stringLeaves(value);
            fc.pre(leaves.length > 0);
            const leaf = leaves[pick % leaves.length];
            leaf.set(bad);
            let thrown: unknown;
            try {
              encodeRequest(op, value);
            } catch (e) {
              thrown = e;
            }
            assert.ok(thrown instanceof BridgeError, `a BridgeError, not ${String(thrown)}`);
            assert.equal(thrown.code, 'VALIDATION_FAILED');
            assert.equal(thrown.spec.status, 400);
            assert.deepEqual(thrown.extra.errors?.map((x) => x.pointer), [leaf.ptr]);
          }),
        );
      });
    }
  });
}
