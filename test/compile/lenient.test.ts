/**
 * The loader's leniencies (README "What the loader reads"): a WSDL loads whenever there is
 * something sensible to serve, and every leniency is a warning at the position of what it is
 * about, which `validate --strict` turns into an error. Each case: that it loads, the exact
 * warning, that --strict refuses it, and that a request through the degraded part still works.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileWsdlFile, type Bundle, type CompiledOperation } from '../../src/compile';
import { tempDir } from '../support/bridge';
import { runCli } from '../support/child';
import { bodyXml, decodeEnvelope } from '../support/compile';

const tmp = tempDir('lenient');
after(() => tmp.remove());
let counter = 0;

/** A document/literal WSDL in namespace urn:t (prefix t) around the given pieces. */
function wsdl(p: { types: string; messages: string; portType: string; binding: string }): string {
  return `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t">
<types>
${p.types}
</types>
${p.messages}
<portType name="P">
${p.portType}
</portType>
<binding name="B" type="t:P"><soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
${p.binding}
</binding>
<service name="S"><port name="SP" binding="t:B"><soap:address location="http://127.0.0.1:9/s"/></port></service>
</definitions>
`;
}

function schema(content: string): string {
  return `<xs:schema targetNamespace="urn:t" elementFormDefault="qualified">\n${content}\n</xs:schema>`;
}

const MESSAGES = '<message name="In"><part name="parameters" element="t:Op"/></message>\n<message name="Out"><part name="parameters" element="t:OpResponse"/></message>';
const PORT_OP = '<operation name="Op"><input message="t:In"/><output message="t:Out"/></operation>';
const BIND_OP = '<operation name="Op"><soap:operation soapAction="urn:t#Op"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>';

/** `line:col` of the one occurrence of `snippet` in `text` (where the loader positions a node that starts there). */
function at(text: string, snippet: string): string {
  const i = text.indexOf(snippet);
  assert.ok(i >= 0 && text.indexOf(snippet, i + 1) < 0, `${snippet} occurs once`);
  return `${text.slice(0, i).split('\n').length}:${i - text.lastIndexOf('\n', i - 1)}`;
}

async function cli(args: string[], cwd: string): Promise<{ code: number | null; lines: string[] }> {
  const r = await runCli(args, { cwd, timeoutMs: 30000 });
  return { code: r.code, lines: r.stdout.split('\n').filter(Boolean) };
}

/**
 * Loads `text` as x.wsdl and checks that it loads with exactly `warnings` (`line:col message`);
 * that `validate` prints them and exits 0, and `validate --strict` prints them as errors and exits 1.
 */
async function loads(text: string, warnings: string[]): Promise<Bundle> {
  const dir = path.join(tmp.dir, `case${++counter}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'x.wsdl'), text);
  const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`), warnings);
  assert.ok(r.bundle);
  const plain = await cli(['validate', 'x.wsdl'], dir);
  assert.equal(plain.code, 0);
  assert.deepEqual(plain.lines, warnings.map((w) => `x.wsdl:${w.replace(' ', ' warning: ')}`));
  const strict = await cli(['validate', '--strict', 'x.wsdl'], dir);
  assert.equal(strict.code, 1, '--strict refuses the leniency');
  assert.deepEqual(strict.lines, warnings.map((w) => `x.wsdl:${w}`));
  return r.bundle;
}

function op(bundle: Bundle, name = 'Op'): CompiledOperation {
  const o = bundle.operations.get(name);
  assert.ok(o, `operation ${name}`);
  return o;
}

/** The JSON of a reply whose Body holds `body`. */
function reply(o: CompiledOperation, body: string): unknown {
  const env = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>${body}</s:Body></s:Envelope>`;
  const { value, errors } = decodeEnvelope(o, env);
  assert.deepEqual(errors, []);
  return value;
}

describe('loader leniencies: degraded, never silent', () => {
  describe('a type reference that does not resolve is read as xs:anyType', () => {
    it('an undefined type: the element takes text or XML ($any) both ways', async () => {
      const text = wsdl({
        types: schema(
          '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="id" type="xs:int"/>\n<xs:element name="extra" type="t:Missing"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType><xs:sequence>\n<xs:element name="echo" type="t:Missing" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const bundle = await loads(text, [
        `${at(text, '<xs:element name="extra"')} type {urn:t}Missing is not defined; element extra is read as xs:anyType`,
        `${at(text, '<xs:element name="echo"')} type {urn:t}Missing is not defined; element echo is read as xs:anyType`,
      ]);
      const o = op(bundle);
      // The JSON Schema (and so the OpenAPI document) says why the field takes anything.
      const defs = bundle.schema.$defs as Record<string, { properties: Record<string, { description?: string }> }>;
      assert.equal(defs[o.inputDef].properties.extra.description, "Any text, or XML in $any: the WSDL's type {urn:t}Missing is not defined");
      assert.equal(o.validateInput({ id: 1, extra: 'plain <text>' }), undefined);
      assert.equal(bodyXml(o, { id: 1, extra: 'plain <text>' }), '<t:Op><t:id>1</t:id><t:extra>plain &lt;text&gt;</t:extra></t:Op>');
      assert.equal(bodyXml(o, { id: 1, extra: { $any: '<x:a xmlns:x="urn:x">1</x:a>' } }), '<t:Op><t:id>1</t:id><t:extra><x:a xmlns:x="urn:x">1</x:a></t:extra></t:Op>');
      assert.deepEqual(o.validateInput({ id: 1, extra: 5 })?.map((v) => v.pointer), ['/extra']);
      assert.deepEqual(reply(o, '<t:OpResponse xmlns:t="urn:t"><t:echo>hello</t:echo></t:OpResponse>'), { echo: 'hello' });
      assert.deepEqual(reply(o, '<t:OpResponse xmlns:t="urn:t"><t:echo><b>1</b></t:echo></t:OpResponse>'), { echo: { $any: '<b>1</b>' } });
    });

    it('a misspelt built-in (xs:anytype) and an unbound prefix with nothing of that name', async () => {
      const text = wsdl({
        types: schema(
          '<xs:element name="Op"><xs:complexType><xs:sequence>\n<xs:element name="a" type="xs:anytype"/>\n<xs:element name="b" type="q:Thing"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType/></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(
        await loads(text, [
          `${at(text, '<xs:element name="a"')} xs:anytype is not an XML Schema built-in type (did you mean xs:anyType?); element a is read as xs:anyType`,
          `${at(text, '<xs:element name="b"')} prefix "q" in "q:Thing" is not bound to a namespace; element b is read as xs:anyType`,
        ]),
      );
      assert.equal(bodyXml(o, { a: { $any: '<z/>' }, b: 'x' }), '<t:Op><t:a><z/></t:a><t:b>x</t:b></t:Op>');
    });

    it('a name without prefix, or with an unbound prefix, means the only type of that name or the built-in', async () => {
      const text = wsdl({
        types: schema(
          '<xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:enumeration value="A"/></xs:restriction></xs:simpleType>\n' +
            '<xs:element name="Op"><xs:complexType><xs:sequence>\n<xs:element name="code" type="Code"/>\n<xs:element name="n" type="xsd:int"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType/></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(
        await loads(text, [
          // Unprefixed, the name is in the document's default namespace: here the WSDL one.
          `${at(text, '<xs:element name="code"')} type {http://schemas.xmlsoap.org/wsdl/}Code is not defined (no schema for namespace "http://schemas.xmlsoap.org/wsdl/" is loaded); using {urn:t}Code, the only type named "Code"`,
          `${at(text, '<xs:element name="n"')} prefix "xsd" in "xsd:int" is not bound to a namespace; using the XML Schema built-in xs:int`,
        ]),
      );
      assert.equal(o.validateInput({ code: 'A', n: 2 }), undefined);
      assert.deepEqual(o.validateInput({ code: 'B', n: '2' })?.map((v) => v.pointer), ['/code', '/n']);
    });

    it('an undefined base: the derived type keeps its own content and accepts any in place of the base', async () => {
      const text = wsdl({
        types: schema(
          '<xs:complexType name="Item"><xs:complexContent>\n<xs:extension base="t:Base"><xs:sequence><xs:element name="sku" type="xs:string"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>\n' +
            '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="item" type="t:Item"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType><xs:sequence><xs:element name="item" type="t:Item"/></xs:sequence></xs:complexType></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(
        await loads(text, [
          `${at(text, '<xs:extension base="t:Base">')} type {urn:t}Base is not defined; the base is read as xs:anyType: the derived type also accepts any content and attributes in its place`,
        ]),
      );
      assert.deepEqual(o.validateInput({ item: {} })?.map((v) => v.pointer), ['/item/sku']);
      assert.equal(bodyXml(o, { item: { sku: 'S1', $any: '<t:id>7</t:id>' } }), '<t:Op><t:item><t:id>7</t:id><t:sku>S1</t:sku></t:item></t:Op>');
      assert.deepEqual(reply(o, '<t:OpResponse xmlns:t="urn:t"><t:item rev="2"><t:id>7</t:id><t:sku>S1</t:sku></t:item></t:OpResponse>'), {
        item: { sku: 'S1', $any: '<t:id xmlns:t="urn:t">7</t:id>' },
      });
    });

    it('an xs:simpleType without restriction, list or union is read as xs:anySimpleType', async () => {
      const text = wsdl({
        types: schema(
          '<xs:simpleType name="Id"><xs:extension base="xs:string"/></xs:simpleType>\n' +
            '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="id" type="t:Id"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType/></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(await loads(text, [`${at(text, '<xs:simpleType name="Id">')} xs:simpleType {urn:t}Id needs xs:restriction, xs:list or xs:union; it is read as xs:anySimpleType`]));
      assert.equal(bodyXml(o, { id: 'X-1' }), '<t:Op><t:id>X-1</t:id></t:Op>');
    });
  });

  describe('an element reference that does not resolve', () => {
    it('a part naming an undefined element: an element of that name, of type xs:anyType', async () => {
      const text = wsdl({
        types: schema('<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="q" type="xs:string"/></xs:sequence></xs:complexType></xs:element>'),
        messages: '<message name="In"><part name="parameters" element="t:Op"/></message>\n<message name="Out">\n<part name="result" element="t:OpResponse"/></message>',
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(await loads(text, [`${at(text, '<part name="result"')} element {urn:t}OpResponse is not defined; part result is read as an element {urn:t}OpResponse of type xs:anyType`]));
      assert.deepEqual(reply(o, '<t:OpResponse xmlns:t="urn:t"><t:total>3</t:total></t:OpResponse>'), { result: { $any: '<t:total xmlns:t="urn:t">3</t:total>' } });
      assert.equal(o.validateOutput({ result: 'done' }), undefined);
      assert.equal(o.encodeResponse({ result: { $any: '<t:total>3</t:total>' } }).includes('<t:OpResponse><t:total>3</t:total></t:OpResponse>'), true);
    });

    it('an element ref with an unbound prefix and nothing of that name: any one element there', async () => {
      const text = wsdl({
        types: schema(
          '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="id" type="xs:int"/>\n<xs:element ref="e:Note" minOccurs="0"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType/></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(await loads(text, [`${at(text, '<xs:element ref="e:Note"')} prefix "e" in "e:Note" is not bound to a namespace; element ref e:Note is read as any element (xs:any, kept in $any)`]));
      assert.equal(bodyXml(o, { id: 1, $any: '<n:Note xmlns:n="urn:n">hi</n:Note>' }), '<t:Op><t:id>1</t:id><n:Note xmlns:n="urn:n">hi</n:Note></t:Op>');
    });

    it('a part whose element prefix is unbound: the only element of that name', async () => {
      const text = wsdl({
        types: schema(
          '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="q" type="xs:string"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType><xs:sequence><xs:element name="r" type="xs:string"/></xs:sequence></xs:complexType></xs:element>',
        ),
        messages: '<message name="In">\n<part name="parameters" element="tns:Op"/></message>\n<message name="Out"><part name="parameters" element="t:OpResponse"/></message>',
        portType: PORT_OP,
        binding: BIND_OP,
      });
      const o = op(await loads(text, [`${at(text, '<part name="parameters" element="tns:Op"/>')} prefix "tns" in "tns:Op" is not bound to a namespace; using {urn:t}Op, the only element named "Op"`]));
      assert.equal(o.model.input.style, 'wrapped');
      assert.equal(bodyXml(o, { q: 'x' }), '<t:Op><t:q>x</t:q></t:Op>');
    });
  });

  describe('what stays an error', () => {
    it('a reference into a namespace whose schema file is missing disables its operation: no guess stands in for a lost file', async () => {
      const dir = path.join(tmp.dir, `case${++counter}`);
      fs.mkdirSync(dir);
      const text = wsdl({
        types: '<xs:schema targetNamespace="urn:t">\n<xs:import namespace="urn:t:types" schemaLocation="types.xsd"/></xs:schema>',
        messages: '<message name="In">\n<part name="parameters" element="u:Op" xmlns:u="urn:t:types"/></message>\n<message name="Out"><part name="r" type="xs:string"/></message>',
        portType: PORT_OP,
        binding: BIND_OP,
      });
      fs.writeFileSync(path.join(dir, 'x.wsdl'), text);
      const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
      assert.equal(r.bundle, undefined);
      const missing = `cannot read ${JSON.stringify(path.join(dir, 'types.xsd'))} (ENOENT)`;
      assert.deepEqual(
        r.diagnostics.map((d) => `${d.severity} ${d.line}:${d.col} ${d.message}`),
        [
          `warning ${at(text, '<xs:import')} ${missing}; definitions from it are unavailable`,
          `warning ${at(text, '<part name="parameters" element="u:Op"')} operation Op is disabled: element {urn:t:types}Op is not defined (no schema for namespace "urn:t:types" is loaded): its schema file is missing (${missing})`,
          `error ${at(text, '<definitions')} no operation of the WSDL could be compiled (see the warnings above for each)`,
        ],
      );
    });
  });

  describe('WSDL messages and operations', () => {
    it('soap:body parts naming a part the message does not have: the name is ignored', async () => {
      const text = wsdl({
        types: schema(
          '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="q" type="xs:string"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType><xs:sequence><xs:element name="r" type="xs:string"/></xs:sequence></xs:complexType></xs:element>',
        ),
        messages: MESSAGES,
        portType: PORT_OP,
        binding: '<operation name="Op"><soap:operation soapAction="urn:t#Op"/><input><soap:body use="literal"/></input><output>\n<soap:body use="literal" parts="body"/></output></operation>',
      });
      const o = op(
        await loads(text, [
          `${at(text, '<soap:body use="literal" parts="body"/>')} soap:body names part "body", which message Out does not have; the name is ignored`,
          `${at(text, '<soap:body use="literal" parts="body"/>')} soap:body names no part of message Out; the body carries the message's parts`,
        ]),
      );
      assert.equal(o.model.output?.style, 'wrapped');
      assert.deepEqual(reply(o, '<t:OpResponse xmlns:t="urn:t"><t:r>ok</t:r></t:OpResponse>'), { r: 'ok' });
    });

    it('an undefined output message: the reply is passed on as any content', async () => {
      const text = wsdl({
        types: schema('<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="q" type="xs:string"/></xs:sequence></xs:complexType></xs:element>'),
        messages: '<message name="In"><part name="parameters" element="t:Op"/></message>',
        portType: '<operation name="Op"><input message="t:In"/>\n<output message="t:Out"/></operation>',
        binding: BIND_OP,
      });
      const o = op(await loads(text, [`${at(text, '<output message="t:Out"/>')} message {urn:t}Out is not defined; the output of operation Op is read as any content (kept in $any)`]));
      assert.equal(bodyXml(o, { q: 'x' }), '<t:Op><t:q>x</t:q></t:Op>');
      assert.deepEqual(reply(o, '<r:Done xmlns:r="urn:r">yes</r:Done>'), { $any: '<r:Done xmlns:r="urn:r">yes</r:Done>' });
    });

    it('a notification operation stays off, the others load', async () => {
      const text = wsdl({
        types: schema(
          '<xs:element name="Op"><xs:complexType><xs:sequence><xs:element name="q" type="xs:string"/></xs:sequence></xs:complexType></xs:element>\n' +
            '<xs:element name="OpResponse"><xs:complexType><xs:sequence><xs:element name="r" type="xs:string"/></xs:sequence></xs:complexType></xs:element>',
        ),
        messages: MESSAGES,
        portType: `${PORT_OP}\n<operation name="Tick"><output message="t:Out"/></operation>`,
        binding: `${BIND_OP}\n<operation name="Tick"><soap:operation soapAction="urn:t#Tick"/><output><soap:body use="literal"/></output></operation>`,
      });
      const bundle = await loads(text, [`${at(text, '<operation name="Tick"><output')} operation Tick is disabled: notification and solicit-response operations (no input) are not supported`]);
      assert.deepEqual([...bundle.operations.keys()], ['Op']);
      assert.equal(bodyXml(op(bundle), { q: 'x' }), '<t:Op><t:q>x</t:q></t:Op>');
    });

    it('still refuses a WSDL whose only operation is a notification', async () => {
      const dir = path.join(tmp.dir, `case${++counter}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, 'x.wsdl'),
        wsdl({
          types: schema('<xs:element name="OpResponse"><xs:complexType/></xs:element>'),
          messages: '<message name="Out"><part name="parameters" element="t:OpResponse"/></message>',
          portType: '<operation name="Tick"><output message="t:Out"/></operation>',
          binding: '<operation name="Tick"><output><soap:body use="literal"/></output></operation>',
        }),
      );
      const r = compileWsdlFile(path.join(dir, 'x.wsdl'));
      assert.equal(r.bundle, undefined);
      assert.deepEqual(
        r.diagnostics.map((d) => `${d.severity} ${d.message}`),
        [
          'warning operation Tick is disabled: notification and solicit-response operations (no input) are not supported',
          'error no operation of the WSDL could be compiled (see the warnings above for each)',
        ],
      );
    });
  });
});
