import assert from 'node:assert/strict';
import path from 'node:path';
import { compileWsdlFile, type Bundle, type CompiledOperation } from '../../src/compile';
import { decodeEnvelope as decodeReply } from '../../src/pipeline/rest-to-soap';

/** The repository root (tests run from dist/test/...). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

export function fixture(...parts: string[]): string {
  return path.join(ROOT, 'fixtures', ...parts);
}

export function compileFixture(file: string): Bundle {
  const result = compileWsdlFile(file);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `fixture ${file} must compile`);
  assert.ok(result.bundle);
  return result.bundle;
}

export function operation(bundle: Bundle, name: string): CompiledOperation {
  const op = bundle.operations.get(name);
  assert.ok(op, `operation ${name} in ${bundle.name}`);
  return op;
}

/** The Body content of the request envelope the operation writes for `json`. */
export function bodyXml(op: CompiledOperation, json: unknown): string {
  const env = op.encodeRequest(json);
  const m = /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(env);
  assert.ok(m, 'envelope has a Body');
  return m[1];
}

/** Decodes an envelope given as text with the operation's reply decoder (not a Fault). */
export function decodeEnvelope(op: CompiledOperation, envelope: string): { value: unknown; errors: { pointer: string; detail: string }[] } {
  const r = decodeReply(op, envelope, 200);
  assert.ok(!('fault' in r), 'not a fault');
  return r;
}
