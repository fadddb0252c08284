/**
 * WSDL and XSD loading: the constructs the loader must understand, and precise
 * file:line:col diagnostics (never a crash) for what it cannot load.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileBundleDir, compileWsdlFile, type BundleResult, type CompiledOperation } from '../../src/compile';
import { bodyXml, compileFixture, decodeEnvelope, fixture, operation } from '../support/compile';
import { tempDir } from '../support/bridge';

const tmp = tempDir('loader');
after(() => tmp.remove());
let counter = 0;

function write(files: Record<string, string>): string {
  const dir = path.join(tmp.dir, `case${++counter}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
  return dir;
}

/** A document/literal wrapped WSDL whose operation Op takes `content` as the wrapper type's content. */
function opWsdl(content: string, extraSchema = '', opts: { elementForm?: string; binding?: string } = {}): string {
  return `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
  <types>
    <xs:schema targetNamespace="urn:t" elementFormDefault="${opts.elementForm ?? 'qualified'}">
      ${extraSchema}
      <xs:element name="Op"><xs:complexType>${content}</xs:complexType></xs:element>
      <xs:element name="OpResponse"><xs:complexType>${content}</xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="In"><part name="parameters" element="t:Op"/></message>
  <message name="Out"><part name="parameters" element="t:OpResponse"/></message>
  <portType name="P"><operation name="Op"><input message="t:In"/><output message="t:Out"/></operation></portType>
  ${opts.binding ?? `<binding name="B" type="t:P"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Op"><soap:operation soapAction="urn:t#Op"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation></binding>`}
  <service name="S"><port name="SP" binding="t:B"><soap:address location="http://127.0.0.1:9/s"/></port></service>
</definitions>`;
}

function load(content: string, extraSchema = '', opts: { elementForm?: string } = {}): CompiledOperation {
  const dir = write({ 'op.wsdl': opWsdl(content, extraSchema, opts) });
  const result = compileWsdlFile(path.join(dir, 'op.wsdl'));
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), []);
  const op = result.bundle?.operations.get('Op');
  assert.ok(op, JSON.stringify(result.diagnostics));
  return op;
}

function reply(op: CompiledOperation, inner: string): unknown {
  const env = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body><t:OpResponse xmlns:t="urn:t">${inner}</t:OpResponse></s:Body></s:Envelope>`;
  const { value, errors } = decodeEnvelope(op, env);
  assert.deepEqual(errors, []);
  return value;
}

function problems(r: BundleResult, severity: 'error' | 'warning'): string[] {
  return r.diagnostics.filter((d) => d.severity === severity).map((d) => `${path.basename(d.file)}:${d.line}:${d.col} ${d.message}`);
}

describe('WSDL and XSD loading', () => {
  describe('XSD constructs', () => {
    it('sequence, minOccurs/maxOccurs and built-in types', () => {
      const op = load('<xs:sequence><xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:unsignedByte" minOccurs="0" maxOccurs="3"/></xs:sequence>');
      assert.equal(op.validateInput({ a: 'x', b: [1, 2, 3] }), undefined);
      assert.deepEqual(op.validateInput({ a: 'x', b: [1, 2, 3, 4] }), [{ pointer: '/b', detail: 'must NOT have more than 3 items' }]);
      assert.deepEqual(op.validateInput({ a: 'x', b: [256] }), [{ pointer: '/b/0', detail: 'must be <= 255' }]);
    });
    it('xs:all in any order, each at most once', () => {
      const op = load('<xs:all><xs:element name="a" type="xs:int"/><xs:element name="b" type="xs:int" minOccurs="0"/></xs:all>');
      assert.deepEqual(reply(op, '<t:b>2</t:b><t:a>1</t:a>'), { a: 1, b: 2 });
      assert.equal(bodyXml(op, { b: 2, a: 1 }), '<t:Op><t:a>1</t:a><t:b>2</t:b></t:Op>');
    });
    it('nested choices and a sequence inside a choice', () => {
      const op = load('<xs:sequence><xs:choice><xs:sequence><xs:element name="x" type="xs:int"/><xs:element name="y" type="xs:int"/></xs:sequence><xs:element name="z" type="xs:int"/></xs:choice></xs:sequence>');
      assert.equal(op.validateInput({ x: 1, y: 2 }), undefined);
      assert.equal(op.validateInput({ z: 3 }), undefined);
      assert.deepEqual(op.validateInput({ x: 1 }), [{ pointer: '/y', detail: 'is required' }]);
      assert.deepEqual(op.validateInput({ x: 1, y: 2, z: 3 }), [{ pointer: '/z', detail: 'cannot be combined with the alternative already given (xs:choice)' }]);
    });
    it('a repeating choice: every alternative becomes an optional array', () => {
      const op = load('<xs:choice maxOccurs="unbounded"><xs:element name="a" type="xs:int"/><xs:element name="b" type="xs:string"/></xs:choice>');
      assert.deepEqual(reply(op, '<t:a>1</t:a><t:b>x</t:b><t:a>2</t:a>'), { a: [1, 2], b: ['x'] });
    });
    it('a repeating sequence is written occurrence by occurrence', () => {
      const op = load('<xs:sequence maxOccurs="unbounded"><xs:element name="k" type="xs:string"/><xs:element name="v" type="xs:int"/></xs:sequence>');
      assert.equal(bodyXml(op, { k: ['a', 'b'], v: [1, 2] }), '<t:Op><t:k>a</t:k><t:v>1</t:v><t:k>b</t:k><t:v>2</t:v></t:Op>');
    });
    it('element ref, named and anonymous types, and recursion', () => {
      const op = load(
        '<xs:sequence><xs:element ref="t:node"/></xs:sequence>',
        '<xs:complexType name="Node"><xs:sequence><xs:element name="label" type="xs:string"/><xs:element ref="t:node" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType><xs:element name="node" type="t:Node"/>',
      );
      const tree = { node: { label: 'root', node: [{ label: 'a', node: [{ label: 'a1', node: [] }] }, { label: 'b', node: [] }] } };
      assert.equal(op.validateInput(tree), undefined);
      assert.deepEqual(reply(op, '<t:node><t:label>root</t:label><t:node><t:label>a</t:label><t:node><t:label>a1</t:label></t:node></t:node><t:node><t:label>b</t:label></t:node></t:node>'), tree);
    });
    it('complexContent extension puts the base content first and keeps base attributes', () => {
      const op = load(
        '<xs:sequence><xs:element name="v" type="t:Derived"/></xs:sequence>',
        '<xs:complexType name="Base"><xs:sequence><xs:element name="id" type="xs:int"/></xs:sequence><xs:attribute name="rev" type="xs:int"/></xs:complexType>' +
          '<xs:complexType name="Derived"><xs:complexContent><xs:extension base="t:Base"><xs:sequence><xs:element name="name" type="xs:string"/></xs:sequence><xs:attribute name="lang" type="xs:language"/></xs:extension></xs:complexContent></xs:complexType>',
      );
      assert.equal(bodyXml(op, { v: { name: 'n', id: 1, lang: 'en', rev: 2 } }), '<t:Op><t:v rev="2" lang="en"><t:id>1</t:id><t:name>n</t:name></t:v></t:Op>');
    });
    it('complexContent restriction replaces the content and can prohibit attributes', () => {
      const op = load(
        '<xs:sequence><xs:element name="v" type="t:Narrow"/></xs:sequence>',
        '<xs:complexType name="Wide"><xs:sequence><xs:element name="a" type="xs:int"/><xs:element name="b" type="xs:int" minOccurs="0"/></xs:sequence><xs:attribute name="x" type="xs:int"/></xs:complexType>' +
          '<xs:complexType name="Narrow"><xs:complexContent><xs:restriction base="t:Wide"><xs:sequence><xs:element name="a" type="xs:int"/></xs:sequence><xs:attribute name="x" use="prohibited"/></xs:restriction></xs:complexContent></xs:complexType>',
      );
      assert.equal(op.validateInput({ v: { a: 1 } }), undefined);
      assert.deepEqual((op.validateInput({ v: { a: 1, b: 2, x: 3 } }) ?? []).map((e) => e.pointer).sort(), ['/v/b', '/v/x']);
    });
    it('simpleContent extension and restriction', () => {
      const op = load(
        '<xs:sequence><xs:element name="m" type="t:Small"/></xs:sequence>',
        '<xs:complexType name="Measure"><xs:simpleContent><xs:extension base="xs:decimal"><xs:attribute name="unit" type="xs:string" use="required"/></xs:extension></xs:simpleContent></xs:complexType>' +
          '<xs:complexType name="Small"><xs:simpleContent><xs:restriction base="t:Measure"><xs:maxInclusive value="10"/></xs:restriction></xs:simpleContent></xs:complexType>',
      );
      assert.equal(op.validateInput({ m: { unit: 'kg', $value: 9.5 } }), undefined);
      assert.deepEqual((op.validateInput({ m: { $value: 11 } }) ?? []).map((e) => e.pointer).sort(), ['/m/$value', '/m/unit']);
      assert.deepEqual(reply(op, '<t:m unit="kg">1.50</t:m>'), { m: { unit: 'kg', $value: 1.5 } });
    });
    it('enumerations and facets: pattern, length, ranges, digits', () => {
      const op = load(
        '<xs:sequence><xs:element name="code" type="t:Code"/><xs:element name="color" type="t:Color"/><xs:element name="pct" type="t:Pct"/><xs:element name="price" type="t:Price"/><xs:element name="list" type="t:Ints"/></xs:sequence>',
        '<xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:pattern value="[A-Z]{2}\\d{2}"/><xs:length value="4"/></xs:restriction></xs:simpleType>' +
          '<xs:simpleType name="Color"><xs:restriction base="xs:token"><xs:enumeration value="red"/><xs:enumeration value="green"/></xs:restriction></xs:simpleType>' +
          '<xs:simpleType name="Pct"><xs:restriction base="xs:int"><xs:minExclusive value="0"/><xs:maxInclusive value="100"/></xs:restriction></xs:simpleType>' +
          '<xs:simpleType name="Price"><xs:restriction base="xs:decimal"><xs:totalDigits value="5"/><xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>' +
          '<xs:simpleType name="Ints"><xs:list itemType="xs:int"/></xs:simpleType>',
      );
      assert.equal(op.validateInput({ code: 'AB12', color: 'red', pct: 100, price: '999.99', list: [1, 2] }), undefined);
      const v = op.validateInput({ code: 'ab12', color: 'blue', pct: 0, price: 1.234, list: ['x'] }) ?? [];
      assert.deepEqual(v.map((e) => e.pointer).sort(), ['/code', '/color', '/list/0', '/pct', '/price']);
      assert.equal(v.find((e) => e.pointer === '/price')?.detail, 'must have at most 2 fraction digits');
      assert.equal(op.validateInput({ code: 'AB12', color: 'red', pct: 1, price: '12345.6', list: [] })?.[0].detail, 'must have at most 5 digits');
      assert.equal(op.validateInput({ code: 'AB12', color: 'red', pct: 1, price: '12345.00', list: [] }), undefined, 'trailing fraction zeros do not count');
      assert.match(bodyXml(op, { code: 'AB12', color: 'green', pct: 5, price: 1, list: [3, 4, 5] }), /<t:list>3 4 5<\/t:list>/);
      assert.deepEqual((reply(op, '<t:code>AB12</t:code><t:color> red </t:color><t:pct>5</t:pct><t:price>1</t:price><t:list> 1  2 </t:list>') as Record<string, unknown>).list, [1, 2]);
    });
    it('attributes: required, optional, qualified by attributeGroup and xml:lang', () => {
      const op = load(
        '<xs:sequence><xs:element name="e" type="t:E"/></xs:sequence>',
        '<xs:attributeGroup name="G"><xs:attribute name="g" type="xs:boolean" use="required"/></xs:attributeGroup>' +
          '<xs:complexType name="E"><xs:sequence/><xs:attributeGroup ref="t:G"/><xs:attribute ref="xml:lang"/><xs:attribute name="opt" type="xs:date"/></xs:complexType>',
      );
      assert.deepEqual(op.validateInput({ e: {} }), [{ pointer: '/e/g', detail: 'is required' }]);
      assert.equal(bodyXml(op, { e: { g: true, lang: 'de' } }), '<t:Op><t:e g="true" xml:lang="de"/></t:Op>');
      assert.deepEqual(reply(op, '<t:e g="0" xml:lang="fr" opt="2024-01-31"/>'), { e: { g: false, lang: 'fr', opt: '2024-01-31' } });
    });
    it('elementFormDefault="unqualified" writes and reads local elements without namespace', () => {
      const op = load('<xs:sequence><xs:element name="a" type="xs:string"/><xs:element name="q" type="xs:string" form="qualified"/></xs:sequence>', '', { elementForm: 'unqualified' });
      assert.equal(bodyXml(op, { a: '1', q: '2' }), '<t:Op><a>1</a><t:q>2</t:q></t:Op>');
      assert.deepEqual(reply(op, '<a>1</a><t:q>2</t:q>'), { a: '1', q: '2' });
    });
    it('every XSD built-in simple type loads and maps to JSON', () => {
      const names = ['string', 'normalizedString', 'token', 'language', 'Name', 'NCName', 'ID', 'IDREF', 'IDREFS', 'ENTITY', 'ENTITIES', 'NMTOKEN', 'NMTOKENS', 'boolean', 'float', 'double', 'decimal', 'integer', 'nonPositiveInteger', 'negativeInteger', 'nonNegativeInteger', 'positiveInteger', 'long', 'unsignedLong', 'int', 'unsignedInt', 'short', 'unsignedShort', 'byte', 'unsignedByte', 'dateTime', 'date', 'time', 'duration', 'gYear', 'gYearMonth', 'gMonth', 'gMonthDay', 'gDay', 'base64Binary', 'hexBinary', 'anyURI', 'QName', 'NOTATION', 'anySimpleType'];
      const op = load(`<xs:sequence>${names.map((n) => `<xs:element name="v_${n}" type="xs:${n}" minOccurs="0"/>`).join('')}</xs:sequence>`);
      const sample: Record<string, unknown> = {
        v_string: ' s ', v_token: 'a b', v_IDREFS: ['a', 'b'], v_NMTOKENS: ['x'], v_boolean: true, v_float: 1.5, v_double: 'INF', v_decimal: '1.50', v_integer: '123456789012345678901234567890',
        v_negativeInteger: -1, v_positiveInteger: 1, v_long: 5, v_unsignedLong: '18446744073709551615', v_int: 7, v_byte: -128, v_dateTime: '2024-01-01T00:00:00Z', v_date: '2024-01-01', v_time: '23:59:59.5',
        v_duration: 'P1Y2M3DT4H5M6.7S', v_gYear: '2024', v_gYearMonth: '2024-12', v_gMonth: '--12', v_gMonthDay: '--02-29', v_gDay: '---31', v_base64Binary: 'AQID', v_hexBinary: '0A0b', v_anyURI: 'urn:x', v_QName: 'p:local',
      };
      assert.equal(op.validateInput(sample), undefined);
      const xml = bodyXml(op, sample);
      const back = reply(op, xml.replace(/^<t:Op>/, '').replace(/<\/t:Op>$/, '')) as Record<string, unknown>;
      assert.deepEqual(back, { ...sample, v_decimal: 1.5 });
      assert.deepEqual(op.validateInput({ v_positiveInteger: 0, v_unsignedLong: '-1', v_gDay: '---32', v_hexBinary: 'ABC' })?.map((e) => e.pointer).sort(), ['/v_gDay', '/v_hexBinary', '/v_positiveInteger', '/v_unsignedLong']);
    });
  });

  describe('documents and bindings', () => {
    it('loads wsdl:import, xsd:import and a chameleon xsd:include across namespaces', () => {
      const bundle = compileFixture(fixture('golden', 'bare', 'bare.wsdl'));
      assert.deepEqual([...bundle.operations.keys()], ['Lookup', 'Ping']);
      assert.deepEqual(bundle.files.map((f) => path.basename(f)).sort(), ['abstract.wsdl', 'bare.wsdl', 'types-common.xsd', 'types.xsd']);
      assert.equal(operation(bundle, 'Lookup').soapVersion, '1.2');
    });
    it('several schemas and namespaces in one WSDL', () => {
      const bundle = compileFixture(fixture('golden', 'convention', 'convention.wsdl'));
      assert.match(bodyXml(operation(bundle, 'Echo'), { id: 1, amount: 1, count: 1, flag: true, text: '', email: 'e', origin: { system: 's', sequence: 1 } }), /<o:origin>/);
    });
    it('prefers SOAP 1.1 when both bindings exist, SOAP 1.2 when the mapping says so', () => {
      const base = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
      const d11 = write({ 'c.wsdl': base });
      assert.equal(compileBundleDir(d11).bundle?.operations.get('Add')?.soapVersion, '1.1');
      const d12 = write({ 'c.wsdl': base, 'mapping.yaml': 'soapVersion: "1.2"\n' });
      const op = compileBundleDir(d12).bundle?.operations.get('Add');
      assert.equal(op?.soapVersion, '1.2');
      assert.equal(op?.endpoint, 'http://127.0.0.1:8101/calculator12');
    });
    it('rpc/literal operations get the operation element and unqualified part accessors', () => {
      const bundle = compileFixture(fixture('golden', 'rpc', 'rpc.wsdl'));
      const op = operation(bundle, 'Greet');
      assert.equal(op.model.style, 'rpc');
      assert.equal(bodyXml(op, { name: 'A', times: 1 }), '<tns:Greet><name>A</name><times>1</times></tns:Greet>');
    });
  });

  describe('problems are reported with file:line:col, never a crash', () => {
    it('malformed XML', () => {
      const dir = write({ 'x.wsdl': '<?xml version="1.0"?>\n<definitions xmlns="http://schemas.xmlsoap.org/wsdl/">\n  <types>\n</definitions>\n' });
      const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
      assert.equal(r.bundle, undefined);
      const [e] = problems(r, 'error');
      assert.match(e, /^x\.wsdl:4:\d+ not well-formed XML/);
    });
    it('a DTD in a WSDL is refused', () => {
      const dir = write({ 'x.wsdl': '<?xml version="1.0"?>\n<!DOCTYPE definitions [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<definitions xmlns="http://schemas.xmlsoap.org/wsdl/">&e;</definitions>' });
      const [e] = problems(compileWsdlFile(path.join(dir, 'x.wsdl')), 'error');
      assert.match(e, /^x\.wsdl:2:\d+ DTDs are not allowed/);
    });
    it('a broken schema construct disables its operation with a warning at it; none left is an error', () => {
      const dir = write({ 'x.wsdl': opWsdl('<xs:sequence>\n<xs:element name="a" type="xs:int" maxOccurs="-1"/></xs:sequence>') });
      const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
      assert.equal(r.bundle, undefined);
      assert.deepEqual(problems(r, 'warning'), ['x.wsdl:8:1 operation Op is disabled: invalid maxOccurs "-1"']);
      assert.match(problems(r, 'error')[0], /no operation of the WSDL could be compiled/);
    });
    it('an undefined type is read as xs:anyType with a warning at the reference (test/compile/lenient.test.ts has the rest)', () => {
      const dir = write({ 'x.wsdl': opWsdl('<xs:sequence>\n<xs:element name="a" type="t:Missing"/></xs:sequence>') });
      const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
      assert.ok(r.bundle);
      assert.deepEqual(problems(r, 'warning'), ['x.wsdl:8:1 type {urn:t}Missing is not defined; element a is read as xs:anyType', 'x.wsdl:10:1 type {urn:t}Missing is not defined; element a is read as xs:anyType']);
    });
    it('a missing imported file', () => {
      const dir = write({ 'x.wsdl': opWsdl('<xs:sequence/>', '<xs:import namespace="urn:other" schemaLocation="nowhere.xsd"/>') });
      const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
      assert.ok(r.bundle, 'the import is not needed by the operation');
      assert.match(problems(r, 'warning')[0], /^x\.wsdl:6:\d+ cannot read ".*nowhere\.xsd" \(ENOENT\)/);
    });
    it('a remote import is not fetched', () => {
      const dir = write({ 'x.wsdl': opWsdl('<xs:sequence/>', '<xs:import namespace="urn:other" schemaLocation="https://example.com/other.xsd"/>') });
      assert.match(problems(compileWsdlFile(path.join(dir, 'x.wsdl')), 'warning')[0], /remote location https:\/\/example\.com\/other\.xsd is not fetched/);
    });
    it('WSDL 2.0, a schema instead of a WSDL, and a WSDL without SOAP binding', () => {
      const w2 = write({ 'x.wsdl': '<description xmlns="http://www.w3.org/ns/wsdl"/>' });
      assert.match(problems(compileWsdlFile(path.join(w2, 'x.wsdl')), 'error')[0], /WSDL 2\.0 is not supported/);
      const xsd = write({ 'x.wsdl': '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>' });
      assert.match(problems(compileWsdlFile(path.join(xsd, 'x.wsdl')), 'error')[0], /this is an XML Schema, not a WSDL/);
      const nobind = write({ 'x.wsdl': opWsdl('<xs:sequence/>', '', { binding: '' }) });
      assert.match(problems(compileWsdlFile(path.join(nobind, 'x.wsdl')), 'error')[0], /no SOAP 1\.1 or SOAP 1\.2 binding/);
    });
    it('a file that does not exist', () => {
      const r = compileWsdlFile(path.join(tmp.dir, 'nope.wsdl'));
      assert.match(problems(r, 'error')[0], /^nope\.wsdl:1:1 cannot read/);
    });
  });
});
