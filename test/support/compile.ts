import assert from 'node:assert/strict';
import path from 'node:path';
import { compileWsdlFile, type Bundle, type CompiledOperation } from '../../src/compile';
import { parseEnvelope } from '../../src/soap/envelope';
import { readXml } from '../../src/xml/reader';

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

/** Decodes an envelope given as text with the operation's reply decoder. */
export function decodeEnvelope(op: CompiledOperation, envelope: string): { value: unknown; errors: { pointer: string; detail: string }[] } {
  const env = parseEnvelope(readXml(envelope));
  return op.decodeReply(env.body, envelope);
}
