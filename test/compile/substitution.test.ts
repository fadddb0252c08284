/**
 * Substitution groups on the fast path (README "The JSON form of XML"): a reference to a head
 * is read as a choice of the head (unless abstract) and its non-abstract members, transitively;
 * each member is a property named by its own element name. The parity table
 * (test/strict/parity-rows.ts) gives the verdicts; this file checks the JSON form, the writer,
 * the occurrence count across members, the samples and what a broken member costs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { compileBundleDir, compileWsdlFile, type Bundle, type CompiledOperation } from '../../src/compile';
import { createAjv, violationsOf } from '../../src/compile/ajv';
import { initLibxml } from '../../src/compile/libxml';
import { openEnvelope, closeEnvelope } from '../../src/soap/envelope';
import { XmlStream } from '../../src/xml/stream';
import { Sampler, type JsonSchema } from '../../src/sample';
import { tempDir } from '../support/bridge';
import { bodyXml, ROOT } from '../support/compile';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'strict-parity');

/** A message of the parity table (prefixes p, e) in a SOAP 1.1 envelope. */
function envelopeOf(xml: string): string {
  const root = /^<[^\s/>]+/.exec(xml)![0];
  const body = root + ' xmlns:p="urn:parity" xmlns:e="urn:parity:ext"' + xml.slice(root.length);
  return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/** The operation whose request is the parity element `name` (the bundle is a SOAP facade). */
function op(bundle: Bundle, name: string): CompiledOperation {
  const ops = bundle.soapOperations.get('1.1')?.get(`{urn:parity}${name}`) ?? [];
  assert.equal(ops.length, 1, `operation ${name}`);
  return ops[0];
}

function decode(o: CompiledOperation, xml: string): { value: unknown; errors: unknown[] } {
  const s = new XmlStream(envelopeOf(xml));
  openEnvelope(s);
  const r = o.decodeRequest(s);
  closeEnvelope(s, '1.1');
  return { value: r.value, errors: r.errors };
}

describe('substitution groups on the fast path', function () {
  this.timeout(60000);
  let bundle: Bundle;

  before(async () => {
    await initLibxml();
    const result = compileBundleDir(FIXTURE);
    assert.ok(result.bundle, JSON.stringify(result.diagnostics));
    bundle = result.bundle;
  });
  after(() => bundle?.strict?.retire());

  it('names each member by its own element name; the head keeps its own', () => {
    const fleet = op(bundle, 'Fleet');
    const r = decode(fleet, '<p:Fleet><p:vehicle><p:wheels>4</p:wheels></p:vehicle><e:truck><p:wheels>6</p:wheels><e:load>1.5</e:load></e:truck><p:taxi><p:wheels>4</p:wheels><p:doors>4</p:doors></p:taxi></p:Fleet>');
    assert.deepEqual(r.errors, []);
    // Alternatives of a repeating choice are repeating elements: [] when absent (CONTRACT §4.10).
    assert.deepEqual(r.value, { vehicle: [{ wheels: 4 }], car: [], bike: [], truck: [{ wheels: 6, load: 1.5 }], taxi: [{ wheels: 4, doors: 4 }] });
    assert.deepEqual(Object.keys(r.value as object), ['vehicle', 'car', 'bike', 'truck', 'taxi'], 'the head, then its members, then theirs');
    // A single (not repeating) reference: one property per member, as a choice's branches.
    const calc = op(bundle, 'Calc');
    assert.deepEqual(decode(calc, '<p:Calc><p:neg><p:num>7</p:num></p:neg></p:Calc>').value, { neg: { num: 7 } });
  });

  it('writes each member with its own name and namespace', () => {
    const xml = bodyXml(op(bundle, 'Fleet'), { car: [{ wheels: 4, doors: 2 }], truck: [{ wheels: 6, load: 2 }] });
    assert.match(xml, /<p:car><p:wheels>4<\/p:wheels><p:doors>2<\/p:doors><\/p:car>/);
    assert.match(xml, /<(\w+):truck><p:wheels>6<\/p:wheels><\1:load>2<\/\1:load><\/\1:truck>/);
    const calc = bodyXml(op(bundle, 'Calc'), { neg: { neg: { num: 1 } } });
    assert.match(calc, /<p:neg><p:neg><p:num>1<\/p:num><\/p:neg><\/p:neg>/);
  });

  it('counts the members of a repeating reference together (xsdOccurs)', () => {
    const fleet = op(bundle, 'Fleet');
    assert.deepEqual(fleet.validateInput({ car: [{ wheels: 4, doors: 2 }], bike: [{ wheels: 2 }] }) ?? [], []);
    const four = fleet.validateInput({ vehicle: [{ wheels: 1 }, { wheels: 2 }], bike: [{ wheels: 2 }, { wheels: 2 }] }) ?? [];
    assert.equal(four.length, 1, JSON.stringify(four));
    assert.equal(four[0].pointer, '');
    assert.match(four[0].detail, /at most 3 of vehicle, car, bike, truck, taxi together/);
    const none = fleet.validateInput({}) ?? [];
    assert.match(none.map((v) => v.detail).join('\n'), /at least 1 of vehicle/);
    // Deeper in the message, the problem is at the object that holds the members.
    const ajv = createAjv();
    const v = ajv.compile({ type: 'object', properties: { a: { type: 'object', xsdOccurs: [{ names: ['x', 'y'], min: 1, max: 2 }] } } });
    assert.equal(v({ a: { x: [1, 2], y: [3] } }), false);
    assert.deepEqual(violationsOf(v.errors).map((e) => e.pointer), ['/a']);
    assert.equal(v({ a: { x: [1], y: [] } }), true);
    // Unbounded: only the minimum.
    const drawing = op(bundle, 'Drawing');
    assert.equal((drawing.validateInput({ circle: [] }) ?? []).length, 1);
    assert.deepEqual(drawing.validateInput({ circle: Array.from({ length: 50 }, () => ({ radius: 1 })) }) ?? [], []);
  });

  it('has an abstract head in no JSON Schema, and blocked members in none', () => {
    const defs = bundle.schema.$defs as Record<string, JsonSchema>;
    const text = JSON.stringify(defs);
    assert.ok(!/"shape"/.test(text), 'the abstract head p:shape is not a property');
    assert.ok(!/"expr"/.test(text), 'the abstract head p:expr is not a property');
    assert.ok(!/"memo"/.test(text), 'block="substitution" leaves p:memo out');
    assert.ok(!/"extended"/.test(text), 'block="extension" leaves p:extended out');
    assert.ok(/"restricted"/.test(text), 'block="extension" keeps p:restricted');
  });

  it('samples every message with members into valid JSON that libxml2 accepts once written', () => {
    const sampler = new Sampler([bundle.schema]);
    for (const name of ['Drawing', 'Fleet', 'Blocks', 'Values', 'Calc']) {
      const o = op(bundle, name);
      const r = sampler.sample({ $ref: `${String(bundle.schema.$id)}#/$defs/${o.inputDef}` });
      assert.ok(r.ok, `${name}: ${r.ok ? '' : r.reason}`);
      assert.deepEqual(o.validateInput(r.value) ?? [], [], `${name}: ${JSON.stringify(r.value)}`);
      const env = o.encodeRequest(r.value);
      assert.deepEqual(o.strictInput!(env), [], `${name}: ${env}`);
    }
  });
});

describe('substitution groups: members that cannot be read', () => {
  const tmp = tempDir('subst');
  after(() => tmp.remove());

  it('leaves a broken member out with a warning; the head and the other members still work', () => {
    const file = path.join(tmp.dir, 's.wsdl');
    fs.writeFileSync(
      file,
      `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
<types>
<xs:schema targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:element name="item" type="xs:string"/>
  <xs:element name="good" type="xs:string" substitutionGroup="t:item"/>
  <xs:element name="bad" substitutionGroup="t:item">
    <xs:complexType><xs:sequence><xs:element name="x" type="xs:string" minOccurs="2" maxOccurs="1"/></xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="Op"><xs:complexType><xs:sequence><xs:element ref="t:item" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="OpResponse"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
</xs:schema>
</types>
<message name="In"><part name="parameters" element="t:Op"/></message>
<message name="Out"><part name="parameters" element="t:OpResponse"/></message>
<portType name="P"><operation name="Op"><input message="t:In"/><output message="t:Out"/></operation></portType>
<binding name="B" type="t:P"><soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
<operation name="Op"><soap:operation soapAction="urn:t#Op"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
</binding>
<service name="S"><port name="SP" binding="t:B"><soap:address location="http://127.0.0.1:9/s"/></port></service>
</definitions>
`,
    );
    const result = compileWsdlFile(file);
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
    assert.ok(warnings.some((w) => /element \{urn:t\}bad is left out of its substitution group: .*maxOccurs/.test(w)), JSON.stringify(warnings));
    const o = result.bundle!.operations.get('Op')!;
    assert.match(bodyXml(o, { item: ['a'], good: ['b'] }), /<t:Op><t:item>a<\/t:item><t:good>b<\/t:good><\/t:Op>/);
    assert.equal((o.validateInput({ bad: [{ x: 'y' }] }) ?? []).length > 0, true);
  });
});
