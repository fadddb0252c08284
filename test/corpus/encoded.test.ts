/**
 * rpc/encoded WSDLs of the real-world corpus (../shared/corpus, the eligible files with
 * use="encoded"), skipped where that folder is absent: which load, every encoded operation's
 * sample input written as an encoded envelope and read back unchanged, and the replies the
 * corpus records from real servers (PHP/Magento, Delphi, ATL) decoded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'mocha';
import type { Bundle } from '../../src/compile';
import { decodeEnvelope } from '../../src/pipeline/rest-to-soap';
import { Sampler } from '../../src/sample';
import { openEnvelope } from '../../src/soap/envelope';
import { XmlStream } from '../../src/xml/stream';
import { compiledCorpus, CORPUS, corpusPresent } from './eligible';

/** Eligible encoded WSDLs that do not load, for reasons that have nothing to do with the encoding (see known-failures.tsv). */
// Every eligible encoded WSDL loads since the loader reads unresolved references leniently
// (README: What the loader reads); a file listed here would fail to load for another reason.
const NOT_LOADING = new Set<string>([]);

const SAMPLES = 'node-soap/test/request-response-samples';

describe('real-world WSDL corpus: rpc/encoded', function () {
  this.timeout(120000);
  const encoded = new Map<string, Bundle | undefined>();

  before(function () {
    if (!corpusPresent()) this.skip();
    for (const [f, r] of compiledCorpus()) {
      if (fs.readFileSync(path.join(CORPUS, f), 'utf8').includes('use="encoded"')) encoded.set(f, r.bundle);
    }
  });

  it('loads every encoded WSDL but those that fail for other reasons', () => {
    assert.ok(encoded.size >= 20, `expected at least 20 eligible encoded WSDLs, found ${encoded.size}`);
    const failing = [...encoded].filter(([, b]) => !b).map(([f]) => f).sort();
    assert.deepEqual(failing, [...NOT_LOADING].sort());
    process.stdout.write(`      corpus: ${encoded.size - failing.length}/${encoded.size} rpc/encoded WSDLs load\n`);
  });

  it('writes a sample input of every encoded operation as an encoded envelope and reads it back unchanged', () => {
    let ops = 0;
    for (const [f, bundle] of encoded) {
      if (!bundle) continue;
      const sampler = new Sampler([bundle.schema]);
      const defs = bundle.schema.$defs as Record<string, Record<string, unknown>>;
      for (const op of bundle.operations.values()) {
        if (!op.model.input.encoded || op.model.style !== 'rpc') continue;
        const sample = sampler.sample(defs[op.inputDef], bundle.schema);
        assert.ok(sample.ok, `${f} ${op.name}: ${sample.ok ? '' : sample.reason}`);
        assert.equal(op.validateInput(sample.value), undefined, `${f} ${op.name}: the sample is valid`);
        const envelope = op.encodeRequest(sample.value);
        assert.match(envelope, /soap:encodingStyle="http:\/\/schemas.xmlsoap.org\/soap\/encoding\/"/);
        const s = new XmlStream(envelope);
        openEnvelope(s);
        const back = op.decodeRequest(s);
        assert.deepEqual(back.errors, [], `${f} ${op.name}`);
        assert.deepEqual(back.value, sample.value, `${f} ${op.name}`);
        ops++;
      }
    }
    assert.ok(ops >= 50, `expected at least 50 encoded operations, found ${ops}`);
  });

  it('decodes the replies real servers sent, as recorded in the corpus', () => {
    const cases: [string, string, unknown][] = [
      // PHP (Magento): a FixedArray of xsd:ur-type items, each with its xsi:type.
      ['multiCall__rpc_stype_request_xsi_attributes', 'multiCall', { multiCallReturn: [true] }],
      // Delphi: the response wrapper in a namespace of its own, an enumeration typed by xsi:type.
      ['Login__unsupported_response_name_returned_and_local_xs_schema_missed', 'Login', { return: 'lrSuccess', SessionID: '{B26106C6-1F0A-416E-B8EB-B66BBA2A450A}' }],
      // ATL Server: the response wrapper named like the request.
      ['Message__Messages_suffixed_with_In_Out', 'Message', { return: '-1', bstrError: '1' }],
    ];
    for (const [dir, name, expected] of cases) {
      const bundle = encoded.get(`${SAMPLES}/${dir}/soap.wsdl`);
      assert.ok(bundle, dir);
      const op = bundle.operations.get(name);
      assert.ok(op, `${dir} ${name}`);
      const r = decodeEnvelope(op, fs.readFileSync(path.join(CORPUS, SAMPLES, dir, 'response.xml'), 'utf8'), 200);
      assert.ok(!('fault' in r));
      assert.deepEqual(r.errors, [], dir);
      assert.deepEqual(r.value, expected, dir);
      assert.equal(op.validateOutput(r.value), undefined, dir);
    }
  });
});
