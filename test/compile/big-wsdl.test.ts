/**
 * A generated WSDL of 1,000 operations (bench/big-wsdl-gen.ts, what `npm run bench:wsdl` times)
 * compiles whole: every operation of both bindings, with validators and codecs that work when
 * first used (big bundles build them lazily). Not timed: the benchmark is where time is measured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { bigWsdl, opName, writeBigWsdl } from '../../bench/big-wsdl-gen';
import { compileWsdlFile, LAZY_VALIDATORS_ABOVE, type Bundle } from '../../src/compile';
import { operationsOf, warmUp } from '../../src/compile/warm';
import { tempDir } from '../support/bridge';
import { decodeEnvelope } from '../support/compile';

describe('a generated 1,000-operation WSDL', function () {
  this.timeout(120000);
  const tmp = tempDir('big-wsdl');
  let bundle: Bundle;

  before(() => {
    const result = compileWsdlFile(writeBigWsdl(tmp.dir, 1000));
    assert.deepEqual(result.diagnostics, [], 'no diagnostics');
    assert.ok(result.bundle);
    bundle = result.bundle;
  });
  after(() => tmp.remove());

  it('compiles every operation of both bindings', () => {
    assert.equal(bundle.operations.size, 1000);
    assert.equal(bundle.models.length, 2000);
    for (const version of ['1.1', '1.2'] as const) {
      const byKey = bundle.soapOperations.get(version)!;
      assert.equal(byKey.size, 1000, `SOAP ${version}`);
      for (let i = 1; i <= 1000; i++) assert.equal(byKey.get(`{urn:soap-bridge:bench:big}${opName(i)}`)?.[0].name, opName(i));
    }
    assert.ok(2000 > LAZY_VALIDATORS_ABOVE, 'this bundle takes the lazy path');
  });

  it('validates, encodes and decodes with operations from the start, the middle and the end', () => {
    for (const i of [1, 2, 3, 500, 999, 1000]) {
      const op = bundle.operations.get(opName(i))!;
      assert.equal(op.validateInput({ id: 7, name: 'n' }), undefined);
      assert.deepEqual(op.validateInput({ id: 'x' })?.map((v) => v.pointer), ['/id']);
      const reply = { id: '9223372036854775807', status: 'PAID', total: { currency: 'EUR', $value: 1.5 }, [`flag${i}`]: null, ...(i % 3 === 1 ? { item: [] } : {}) };
      assert.equal(op.validateOutput(reply), undefined, `${opName(i)} output`);
      assert.deepEqual(op.validateOutput({ ...reply, status: 'LOST' })?.map((v) => v.pointer), ['/status']);
      const decoded = decodeEnvelope(op, op.encodeResponse(reply));
      assert.deepEqual(decoded.errors, []);
      assert.deepEqual(decoded.value, reply);
    }
  });

  it('builds what was left to first use when warmed, in slices that let other work run', async () => {
    const result = compileWsdlFile(writeBigWsdl(tmp.dir, 150));
    const b = result.bundle!;
    const ops = operationsOf(b);
    assert.equal(ops.length, 300, 'both bindings');
    // One operation used before the warm-up: only the unused part of it is left to build.
    b.operations.get(opName(1))!.validateInput({ id: 1, name: 'n' });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const report = await warmUp([b], { sliceMs: 1 }).finally(() => clearInterval(ticker));
    assert.equal(report.warmed, 300);
    assert.deepEqual(report.failed, []);
    assert.ok(ticks > 0, 'timers ran during the warm-up');
    assert.equal(ops.filter((op) => op.warm()).length, 0, 'nothing is left to build');
    assert.equal((await warmUp([b])).warmed, 0);
    assert.equal(b.operations.get(opName(150))!.validateInput({ id: 'x' })?.[0].pointer, '/id');
  });

  it('stops warming when told to, and builds nothing for an eager bundle', async () => {
    const file = writeBigWsdl(tmp.dir, 150);
    const lazy = compileWsdlFile(file).bundle!;
    const stopped = await warmUp([lazy], { sliceMs: 0, keepGoing: () => false });
    assert.ok(stopped.warmed >= 1 && stopped.warmed < 300, `${stopped.warmed} warmed before the stop`);
    const eager = compileWsdlFile(file, { eager: true }).bundle!;
    assert.equal((await warmUp([eager])).warmed, 0, 'validate compiles everything at load');
  });

  it('is generated the same every time, with the operations asked for', () => {
    assert.equal(bigWsdl(3), bigWsdl(3));
    assert.equal((bigWsdl(3).match(/<wsdl:operation name=/g) ?? []).length, 9, 'portType and two bindings');
  });
});
