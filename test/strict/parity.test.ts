/**
 * The parity table (test/strict/parity-rows.ts): for every message, the fast path (decoder +
 * ajv), strict mode (libxml2-wasm) and `xmllint --noout --schema` must give the verdict the row
 * states. Rows marked strictOnly are rules the fast path cannot express: the fast path passes
 * them (the mark would be stale otherwise) and strict mode, which runs after it, refuses them.
 * Valid rows also go back through the encoder: the XML written from their JSON form must pass
 * libxml2 too.
 *
 * xmllint comes from the Debian package libxml2-utils (.ci/run installs it). Under CI (CI set)
 * its absence fails the test; elsewhere the xmllint column is skipped with a message.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compileBundleDir, type Bundle, type CompiledOperation } from '../../src/compile';
import type { Violation } from '../../src/compile/codec';
import { initLibxml } from '../../src/compile/libxml';
import { mergeViolations } from '../../src/pipeline/soap-to-rest';
import { closeEnvelope, openEnvelope } from '../../src/soap/envelope';
import { XmlStream } from '../../src/xml/stream';
import { ROOT, } from '../support/compile';
import { tempDir } from '../support/bridge';
import { INLINE_ROWS, ROWS, type ParityRow } from './parity-rows';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'strict-parity');
const XMLLINT = '/usr/bin/xmllint';
const NS: Record<string, string> = {
  p: 'urn:parity',
  e: 'urn:parity:ext',
  o: 'urn:other',
  w: 'urn:parity:wsdl',
  w2: 'urn:parity:wsdl2',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};

/** The message with the table's prefixes declared on its root element. */
export function standalone(xml: string): string {
  const decls = Object.entries(NS)
    .map(([p, uri]) => ` xmlns:${p}="${uri}"`)
    .join('');
  const m = /^<[^\s/>]+/.exec(xml);
  assert.ok(m, `row starts with a tag: ${xml}`);
  return m[0] + decls + xml.slice(m[0].length);
}

export function envelopeOf(xml: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${standalone(xml)}</soap:Body></soap:Envelope>`;
}

function operationFor(bundle: Bundle, xml: string): CompiledOperation {
  const m = /^<(\w+):(\w+)/.exec(xml)!;
  const key = `{${NS[m[1]]}}${m[2]}`;
  const ops = bundle.soapOperations.get('1.1')?.get(key) ?? [];
  assert.equal(ops.length, 1, `one operation starts with ${key}`);
  return ops[0];
}

/** The fast path's violations: the compiled decoder, then ajv on what it decoded. */
function fastPath(op: CompiledOperation, envelope: string): { violations: Violation[]; value: unknown } {
  const s = new XmlStream(envelope);
  openEnvelope(s);
  const decoded = op.decodeRequest(s);
  closeEnvelope(s, '1.1');
  return { violations: mergeViolations(decoded.errors, op.validateInput(decoded.value)), value: decoded.value };
}

/** xmllint's verdict per message (true: "validates"), all messages in one run. */
function xmllintVerdicts(rows: readonly ParityRow[]): boolean[] {
  const tmp = tempDir('parity');
  try {
    const files = rows.map((r, i) => {
      const f = path.join(tmp.dir, `row-${String(i).padStart(3, '0')}.xml`);
      fs.writeFileSync(f, standalone(r.xml));
      return f;
    });
    let out = '';
    try {
      execFileSync(XMLLINT, ['--noout', '--nonet', '--schema', path.join(FIXTURE, 'types.xsd'), ...files], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { status?: number; stderr?: string };
      // Exit status 3: some files did not validate; the verdicts are on stderr either way.
      if (err.status !== 3) throw e;
      out = err.stderr ?? '';
    }
    if (!out) out = files.map((f) => `${f} validates`).join('\n');
    return files.map((f) => {
      if (out.includes(`${f} validates`)) return true;
      assert.ok(out.includes(`${f} fails to validate`), `xmllint gave no verdict for ${f}:\n${out}`);
      return false;
    });
  } finally {
    tmp.remove();
  }
}

describe('strict mode parity table: fast path, libxml2-wasm and xmllint agree', function () {
  this.timeout(60000);
  let bundle: Bundle;

  before(async () => {
    await initLibxml();
    const result = compileBundleDir(FIXTURE);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(result.bundle?.strict, 'the parity bundle is in strict mode');
    bundle = result.bundle;
  });

  after(() => bundle?.strict?.retire());

  it('has at least 60 rows across the XSD features, valid and invalid', () => {
    assert.ok(ROWS.length >= 60, `${ROWS.length} rows`);
    assert.ok(ROWS.filter((r) => r.valid).length >= 25);
    assert.ok(ROWS.filter((r) => !r.valid).length >= 25);
    const features = new Set(ROWS.map((r) => r.feature));
    for (const f of ['sequence', 'choice', 'all', 'minOccurs', 'maxOccurs', 'nillable', 'attributes', 'enumeration', 'list', 'union', 'pattern', 'length', 'minLength', 'maxLength', 'totalDigits', 'fractionDigits', 'minInclusive', 'maxExclusive', 'dates', 'any', 'anyAttribute', 'group', 'attributeGroup', 'substitutionGroup', 'abstract type', 'xsi:type', 'default', 'fixed']) {
      assert.ok(features.has(f), `a row for ${f}`);
    }
  });

  it('xmllint --noout --schema gives each row its verdict', function () {
    if (!fs.existsSync(XMLLINT)) {
      if (process.env.CI) assert.fail(`${XMLLINT} is missing: install the Debian package libxml2-utils (.ci/run does)`);
      process.stdout.write(`      skipped: ${XMLLINT} is not installed (apt-get install libxml2-utils)\n`);
      this.skip();
    }
    const verdicts = xmllintVerdicts(ROWS);
    const wrong = ROWS.filter((r, i) => verdicts[i] !== r.valid).map((r) => `${r.feature}: ${r.name} (xmllint: ${r.valid ? 'refused' : 'passed'})`);
    assert.deepEqual(wrong, []);
  });

  it('libxml2-wasm (strict mode) gives each row its verdict', () => {
    const wrong: string[] = [];
    for (const r of [...ROWS, ...INLINE_ROWS]) {
      const op = operationFor(bundle, r.xml);
      const violations = op.strictInput!(envelopeOf(r.xml));
      if ((violations.length === 0) !== r.valid) wrong.push(`${r.feature}: ${r.name} (strict: ${JSON.stringify(violations)})`);
    }
    assert.deepEqual(wrong, []);
  });

  it('the fast path gives each row its verdict, except strict-only rows, where it errs', () => {
    const wrong: string[] = [];
    for (const r of [...ROWS, ...INLINE_ROWS]) {
      const op = operationFor(bundle, r.xml);
      const { violations } = fastPath(op, envelopeOf(r.xml));
      const fastValid = violations.length === 0;
      if (r.strictOnly && fastValid === r.valid) wrong.push(`${r.feature}: ${r.name} is marked strict-only, but the fast path decides it right`);
      if (!r.strictOnly && fastValid !== r.valid) wrong.push(`${r.feature}: ${r.name} (fast path: ${fastValid ? 'passed' : JSON.stringify(violations)})`);
    }
    assert.deepEqual(wrong, []);
  });

  it('in strict mode (fast path, then libxml2) no invalid row passes; valid rows pass unless strict-only', () => {
    for (const r of [...ROWS, ...INLINE_ROWS]) {
      const op = operationFor(bundle, r.xml);
      const env = envelopeOf(r.xml);
      const refused = fastPath(op, env).violations.length > 0 || op.strictInput!(env).length > 0;
      // A valid strict-only row is one the fast path cannot read: the bridge refuses it in either mode.
      assert.equal(refused, !r.valid || r.strictOnly !== undefined, `${r.feature}: ${r.name}`);
    }
  });

  it('gives libxml2 errors JSON Pointers into the JSON form', () => {
    const cases: [string, string[]][] = [
      ['<p:Seq><p:a>x</p:a><p:c>1</p:c><p:c>2</p:c><p:c>3</p:c><p:c>4</p:c></p:Seq>', ['/c/3']],
      ['<p:Seq><p:a>x</p:a><p:b>one</p:b><p:c>1</p:c></p:Seq>', ['/b']],
      ['<p:Attrs id="x" createdBy="ada"><p:v>x</p:v></p:Attrs>', ['/body/id']],
      ['<p:Enum><p:color>blue</p:color><p:size>4</p:size></p:Enum>', ['/size']],
      ['<p:Pets><p:pet xsi:type="p:Dog"><p:name>Rex</p:name><p:bark>x</p:bark></p:pet><p:pet xsi:type="p:Cat"><p:name>Tom</p:name><p:lives>x</p:lives></p:pet></p:Pets>', ['/pet/0/bark', '/pet/1/lives']],
      ['<p:Anys><p:known>k</p:known><e:Stamp/></p:Anys>', ['/$any']],
      ['<p:Seq><p:a>x</p:a></p:Seq>', ['']],
    ];
    for (const [xml, pointers] of cases) {
      const op = operationFor(bundle, xml);
      assert.deepEqual(op.strictInput!(envelopeOf(xml)).map((v) => v.pointer), pointers, xml);
    }
    // Elements in the default namespace: libxml2 names them `*[n]` (counting every element).
    const seq = operationFor(bundle, '<p:Seq/>');
    const env = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Seq xmlns="urn:parity"><a>x</a><c>1</c><c>2</c><c>3</c><c>x</c><c>5</c></Seq></soap:Body></soap:Envelope>`;
    assert.deepEqual(seq.strictInput!(env).map((v) => v.pointer), ['/c/3']);
  });

  it('valid rows written back from their JSON form pass libxml2', () => {
    const wrong: string[] = [];
    for (const r of [...ROWS, ...INLINE_ROWS].filter((x) => x.valid && !x.strictOnly)) {
      const op = operationFor(bundle, r.xml);
      const { value } = fastPath(op, envelopeOf(r.xml));
      const written = op.encodeRequest(value);
      const violations = op.strictInput!(written);
      if (violations.length) wrong.push(`${r.feature}: ${r.name}: ${written} -> ${JSON.stringify(violations)}`);
    }
    assert.deepEqual(wrong, []);
  });
});
