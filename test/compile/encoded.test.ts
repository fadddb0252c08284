/**
 * rpc/encoded (SOAP 1.1 section 5): the hand-written fixtures/golden/encoded/legacy.wsdl
 * compiled, its envelopes written with xsi:type and SOAP-ENC arrays, read back, and replies
 * as real servers write them (multi-ref href/id, xsi:type everywhere, soapenc:string) decoded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { compileWsdlFile, type Bundle, type CompiledOperation } from '../../src/compile';
import { openEnvelope } from '../../src/soap/envelope';
import { XmlStream } from '../../src/xml/stream';
import { tempDir } from '../support/bridge';
import { bodyXml, compileFixture, decodeEnvelope, fixture, operation } from '../support/compile';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENC = 'http://schemas.xmlsoap.org/soap/encoding/';
const TNS = 'urn:soap-bridge:test:legacy';

/** Reads a request envelope the way the SOAP facade does. */
function decodeRequest(op: CompiledOperation, envelope: string): { value: unknown; errors: { pointer: string; detail: string }[] } {
  const s = new XmlStream(envelope);
  openEnvelope(s);
  return op.decodeRequest(s);
}

/** A SOAP 1.1 reply envelope around the given Body content. */
function reply(body: string, extraNs = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:soapenc="${ENC}"${extraNs}><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

describe('rpc/encoded', () => {
  const bundle: Bundle = compileFixture(fixture('golden', 'encoded', 'legacy.wsdl'));
  const order = {
    order: {
      id: 'O-1',
      customer: 'Ada <&> "Lovelace"',
      items: [
        { sku: 'A-1', quantity: 2, price: 1.5, note: null },
        { sku: 'B-2', quantity: 1, price: 3, note: 'gift' },
      ],
      tags: ['x', 'y & z', ''],
    },
  };

  describe('compiling', () => {
    it('loads every operation of the encoded binding without warnings', () => {
      const result = compileWsdlFile(fixture('golden', 'encoded', 'legacy.wsdl'));
      assert.deepEqual(result.diagnostics, []);
      assert.deepEqual([...bundle.operations.keys()], ['Add', 'Echo', 'PlaceOrder', 'ListItems', 'Sum', 'Inspect']);
      for (const op of bundle.operations.values()) assert.equal(op.model.input.encoded, true);
    });

    it('gives SOAP-ENC arrays JSON array schemas, from the same shapes as literal types', () => {
      const defs = bundle.schema.$defs as Record<string, Record<string, unknown>>;
      assert.deepEqual(defs.ArrayOfString, { type: 'array', items: { type: ['string', 'null'] } });
      assert.equal(defs.ArrayOfItem.type, 'array');
      assert.equal(defs.ArrayOfInt.type, 'array');
      assert.equal(defs.Matrix.type, 'array');
      assert.equal(defs.Order.type, 'object');
      assert.deepEqual(defs.Order.required, ['id', 'customer', 'items', 'tags']);
    });

    it('validates JSON input against those schemas', () => {
      const po = operation(bundle, 'PlaceOrder');
      assert.equal(po.validateInput(order), undefined);
      const bad = po.validateInput({ order: { id: 'O-1', customer: 'c', items: { item: [] }, tags: [1] } });
      assert.ok(bad);
      const pointers = bad.map((v) => v.pointer);
      assert.ok(pointers.includes('/order/items'), JSON.stringify(bad));
      assert.ok(pointers.includes('/order/tags/0'), JSON.stringify(bad));
      assert.ok(operation(bundle, 'Add').validateInput({ a: 1, b: 'two' }));
      assert.equal(operation(bundle, 'Inspect').validateInput({ value: [1, 'x', { a: null }] }), undefined);
    });

    it('refuses a multi-dimensional wsdl:arrayType with a clear warning, disabling only that operation', () => {
      const tmp = tempDir('encoded-2d');
      try {
        const src = fs.readFileSync(fixture('golden', 'encoded', 'legacy.wsdl'), 'utf8').replace('wsdl:arrayType="xsd:int[][]"', 'wsdl:arrayType="xsd:int[,]"');
        const file = path.join(tmp.dir, 'legacy.wsdl');
        fs.writeFileSync(file, src);
        const r = compileWsdlFile(file);
        assert.ok(r.bundle);
        assert.ok(!r.bundle.operations.has('Sum'));
        assert.ok(r.bundle.operations.has('PlaceOrder'));
        const w = r.diagnostics.find((d) => d.message.includes('multi-dimensional'));
        assert.ok(w, JSON.stringify(r.diagnostics));
        assert.match(w.message, /operation Sum is disabled: wsdl:arrayType="xsd:int\[,\]" declares a multi-dimensional SOAP-ENC array/);
        assert.equal(w.severity, 'warning');
      } finally {
        tmp.remove();
      }
    });
  });

  describe('SOAP-ENC array types in literal messages', () => {
    it('are JSON arrays too, written as <item> elements and read whatever their members are called', () => {
      const tmp = tempDir('encoded-literal');
      try {
        const file = path.join(tmp.dir, 'legacy.wsdl');
        fs.writeFileSync(file, fs.readFileSync(fixture('golden', 'encoded', 'legacy.wsdl'), 'utf8').replace(/use="encoded"/g, 'use="literal"'));
        const op = operation(compileFixture(file), 'ListItems');
        assert.equal(op.model.input.encoded, false);
        assert.equal(bodyXml(op, { skus: ['a', 'b'] }), '<tns:ListItems><skus><item>a</item><item>b</item></skus></tns:ListItems>');
        const r = decodeEnvelope(op, reply(`<ns1:ListItemsResponse xmlns:ns1="${TNS}"><items><Item><sku>S</sku><quantity>1</quantity><price>2</price><note xsi:nil="true"/></Item></items></ns1:ListItemsResponse>`));
        assert.deepEqual(r.errors, []);
        assert.deepEqual(r.value, { items: [{ sku: 'S', quantity: 1, price: 2, note: null }] });
      } finally {
        tmp.remove();
      }
    });
  });

  describe('writing', () => {
    it('writes the wrapper in the soap:body namespace with encodingStyle, unqualified parts with xsi:type', () => {
      const env = operation(bundle, 'Add').encodeRequest({ a: 2, b: -3 });
      assert.match(env, /xmlns:xsd="http:\/\/www.w3.org\/2001\/XMLSchema"/);
      assert.match(env, /xmlns:soapenc="http:\/\/schemas.xmlsoap.org\/soap\/encoding\/"/);
      assert.equal(
        bodyXml(operation(bundle, 'Add'), { a: 2, b: -3 }),
        `<tns:Add soap:encodingStyle="${ENC}"><a xsi:type="xsd:int">2</a><b xsi:type="xsd:int">-3</b></tns:Add>`,
      );
    });

    it('writes structs with the QName of their type and SOAP-ENC arrays with arrayType and typed items', () => {
      const body = bodyXml(operation(bundle, 'PlaceOrder'), order);
      assert.equal(
        body,
        `<tns:PlaceOrder soap:encodingStyle="${ENC}"><order xsi:type="lt:Order"><id xsi:type="xsd:string">O-1</id>` +
          `<customer xsi:type="xsd:string">Ada &lt;&amp;&gt; "Lovelace"</customer>` +
          `<items xsi:type="lt:ArrayOfItem" soapenc:arrayType="lt:Item[2]">` +
          `<item xsi:type="lt:Item"><sku xsi:type="xsd:string">A-1</sku><quantity xsi:type="xsd:int">2</quantity><price xsi:type="xsd:double">1.5</price><note xsi:nil="true"/></item>` +
          `<item xsi:type="lt:Item"><sku xsi:type="xsd:string">B-2</sku><quantity xsi:type="xsd:int">1</quantity><price xsi:type="xsd:double">3</price><note xsi:type="xsd:string">gift</note></item></items>` +
          `<tags xsi:type="lt:ArrayOfString" soapenc:arrayType="xsd:string[3]"><item xsi:type="xsd:string">x</item><item xsi:type="xsd:string">y &amp; z</item><item xsi:type="xsd:string"></item></tags>` +
          `</order></tns:PlaceOrder>`,
      );
    });

    it('writes arrays declared by a repeating element with that element name, and arrays of arrays', () => {
      const body = bodyXml(operation(bundle, 'Sum'), { values: [], rows: [[1], [2, 3]] });
      assert.equal(
        body,
        `<tns:Sum soap:encodingStyle="${ENC}"><values xsi:type="lt:ArrayOfInt" soapenc:arrayType="xsd:int[0]"/>` +
          `<rows xsi:type="lt:Matrix" soapenc:arrayType="xsd:int[][2]"><item xsi:type="soapenc:Array" soapenc:arrayType="xsd:int[1]"><item xsi:type="xsd:int">1</item></item>` +
          `<item xsi:type="soapenc:Array" soapenc:arrayType="xsd:int[2]"><item xsi:type="xsd:int">2</item><item xsi:type="xsd:int">3</item></item></rows></tns:Sum>`,
      );
      assert.match(bodyXml(operation(bundle, 'Sum'), { values: [7], rows: [] }), /<values xsi:type="lt:ArrayOfInt" soapenc:arrayType="xsd:int\[1\]"><value xsi:type="xsd:int">7<\/value><\/values>/);
    });

    it('types xs:anyType values by their JSON form', () => {
      const body = bodyXml(operation(bundle, 'Inspect'), { value: { n: 5, big: 9007199254740991, x: 0.5, ok: false, s: 'é', list: ['a', 1], none: null } });
      assert.equal(
        body,
        `<tns:Inspect soap:encodingStyle="${ENC}"><value xsi:type="soapenc:Struct"><n xsi:type="xsd:int">5</n><big xsi:type="xsd:long">9007199254740991</big>` +
          `<x xsi:type="xsd:double">0.5</x><ok xsi:type="xsd:boolean">false</ok><s xsi:type="xsd:string">é</s>` +
          `<list xsi:type="soapenc:Array" soapenc:arrayType="xsd:anyType[2]"><item xsi:type="xsd:string">a</item><item xsi:type="xsd:int">1</item></list><none xsi:nil="true"/></value></tns:Inspect>`,
      );
    });
  });

  describe('round trip', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['Add', { a: 2147483647, b: -2147483648 }],
      ['Echo', { text: ' tab\there, CR\r, <b>&amp;</b> 😀 ', loud: true }],
      ['PlaceOrder', order],
      ['ListItems', { skus: ['A-1', 'B-2'] }],
      ['Sum', { values: [1, 2, 3], rows: [[], [4], [5, 6]] }],
      ['Inspect', { value: { a: 1, b: [true, 'x', 2.5, [1, 2]], c: null, d: { e: 'f' } } }],
      ['Inspect', { value: [] }],
      ['Inspect', { value: 'plain' }],
      ['Echo', { text: null, loud: false }],
    ];
    for (const [name, input] of cases) {
      it(`${name} ${JSON.stringify(input).slice(0, 60)}: request written then read back gives the same JSON`, () => {
        const op = operation(bundle, name);
        assert.equal(op.validateInput(input), undefined);
        const decoded = decodeRequest(op, op.encodeRequest(input));
        assert.deepEqual(decoded.errors, []);
        assert.deepEqual(decoded.value, input);
      });
    }

    it('responses too: written by the SOAP facade, read by the REST facade', () => {
      const op = operation(bundle, 'ListItems');
      const output = { items: [{ sku: 'A-1', quantity: 1, price: 2.25, note: 'n' }, null] };
      assert.equal(op.validateOutput(output), undefined);
      const decoded = decodeEnvelope(op, op.encodeResponse(output));
      assert.deepEqual(decoded.errors, []);
      assert.deepEqual(decoded.value, output);
    });
  });

  describe('reading replies as servers write them', () => {
    it('resolves multi-ref values (href="#id") placed after the wrapper, shared ones included', () => {
      const op = operation(bundle, 'ListItems');
      const xml = reply(
        `<ns1:ListItemsResponse soapenv:encodingStyle="${ENC}" xmlns:ns1="${TNS}">` +
          `<items href="#id0"/></ns1:ListItemsResponse>` +
          `<multiRef id="id0" soapenc:root="0" xsi:type="soapenc:Array" soapenc:arrayType="ns2:Item[3]" xmlns:ns2="urn:soap-bridge:test:legacy:types">` +
          `<item href="#id1"/><item href="#id2"/><item href="#id1"/></multiRef>` +
          `<multiRef id="id2" soapenc:root="0" xsi:type="ns2:Item" xmlns:ns2="urn:soap-bridge:test:legacy:types"><sku xsi:type="soapenc:string">B-2</sku><quantity href="#id3"/><price xsi:type="xsd:double">3.0</price><note xsi:type="xsd:string" xsi:nil="true"/></multiRef>` +
          `<multiRef id="id1" soapenc:root="0" xsi:type="ns2:Item" xmlns:ns2="urn:soap-bridge:test:legacy:types"><sku xsi:type="soapenc:string">A-1</sku><quantity xsi:type="soapenc:int">2</quantity><price xsi:type="xsd:double">1.50</price><note xsi:type="soapenc:string">first</note></multiRef>` +
          `<multiRef id="id3" soapenc:root="0" xsi:type="xsd:int">7</multiRef>`,
      );
      const r = decodeEnvelope(op, xml);
      assert.deepEqual(r.errors, []);
      const a = { sku: 'A-1', quantity: 2, price: 1.5, note: 'first' };
      assert.deepEqual(r.value, { items: [a, { sku: 'B-2', quantity: 7, price: 3, note: null }, a] });
      assert.equal(op.validateOutput(r.value), undefined);
    });

    it('reads xsi:type-annotated replies with other prefixes, qualified accessors and the 1999 schema namespace', () => {
      const op = operation(bundle, 'Echo');
      const xml = reply(
        `<m:EchoResponse xmlns:m="${TNS}" xmlns:x9="http://www.w3.org/1999/XMLSchema" xmlns:i9="http://www.w3.org/1999/XMLSchema-instance">` +
          `<m:text i9:type="x9:string">hi</m:text><length xsi:type="x9:int"> 2 </length></m:EchoResponse>`,
      );
      const r = decodeEnvelope(op, xml);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.value, { text: 'hi', length: 2 });
    });

    it('types xs:anyType content by its xsi:type and SOAP-ENC arrays by their arrayType', () => {
      const op = operation(bundle, 'Inspect');
      const xml = reply(
        `<ns1:InspectResponse xmlns:ns1="${TNS}"><value xsi:type="soapenc:Array" soapenc:arrayType="xsd:int[3]"><item>1</item><item xsi:type="xsd:string">2</item><item xsi:nil="true"/></value></ns1:InspectResponse>`,
      );
      const r = decodeEnvelope(op, xml);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.value, { value: [1, '2', null] });
      const s = decodeEnvelope(
        op,
        reply(`<ns1:InspectResponse xmlns:ns1="${TNS}" xmlns:t="urn:soap-bridge:test:legacy:types"><value xsi:type="t:Item"><sku>S</sku><quantity>1</quantity><price>INF</price><note xsi:nil="1"/></value></ns1:InspectResponse>`),
      );
      assert.deepEqual(s.errors, []);
      assert.deepEqual(s.value, { value: { sku: 'S', quantity: 1, price: 'INF', note: null } });
    });

    it('reads elements named by their SOAP-ENC type, as array members and multi-ref values', () => {
      const op = operation(bundle, 'Inspect');
      const xml = reply(
        `<ns1:InspectResponse xmlns:ns1="${TNS}"><value xsi:type="soapenc:Array" soapenc:arrayType="xsd:anyType[3]"><soapenc:int>5</soapenc:int><soapenc:boolean>1</soapenc:boolean><x href="#s"/></value></ns1:InspectResponse>` +
          `<soapenc:string id="s">shared</soapenc:string>`,
      );
      const r = decodeEnvelope(op, xml);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.value, { value: [5, true, 'shared'] });
    });

    it('refuses a multi-ref cycle instead of looping', () => {
      const op = operation(bundle, 'Inspect');
      const xml = reply(`<ns1:InspectResponse xmlns:ns1="${TNS}"><value href="#a"/></ns1:InspectResponse><v id="a" soapenc:root="0" xsi:type="soapenc:Struct"><self href="#a"/></v>`);
      const r = decodeEnvelope(op, xml);
      assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
      assert.equal(r.errors[0].pointer, '/value/self');
      assert.match(r.errors[0].detail, /refers to "#a", which contains this reference/);
    });

    it('refuses references that only point at each other', () => {
      const r = decodeEnvelope(operation(bundle, 'Add'), reply(`<ns1:AddResponse xmlns:ns1="${TNS}"><result href="#a"/></ns1:AddResponse><x id="a" href="#b"/><x id="b" href="#a"/>`));
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0].detail, /which contains this reference/);
    });

    it('bounds what shared multi-ref values expand to, and how deep they nest', () => {
      // 40 levels, each referring twice to the next: 2^40 values if expanded blindly.
      let refs = '';
      for (let i = 0; i < 40; i++) refs += `<v id="n${i}" soapenc:root="0" xsi:type="soapenc:Struct"><l href="#n${i + 1}"/><r href="#n${i + 1}"/></v>`;
      refs += `<v id="n40" xsi:type="xsd:int">1</v>`;
      const op = operation(bundle, 'Inspect');
      const started = Date.now();
      const wide = decodeEnvelope(op, reply(`<ns1:InspectResponse xmlns:ns1="${TNS}"><value href="#n0"/></ns1:InspectResponse>${refs}`));
      assert.ok(Date.now() - started < 5000);
      assert.equal(wide.errors.length, 1);
      assert.match(wide.errors[0].detail, /multi-ref values expand to more values than the message can reasonably hold/);
      let chain = '';
      for (let i = 0; i < 400; i++) chain += `<v id="c${i}" soapenc:root="0" xsi:type="soapenc:Struct"><next href="#c${i + 1}"/></v>`;
      chain += `<v id="c400">end</v>`;
      const deep = decodeEnvelope(op, reply(`<ns1:InspectResponse xmlns:ns1="${TNS}"><value href="#c0"/></ns1:InspectResponse>${chain}`));
      assert.equal(deep.errors.length, 1);
      assert.match(deep.errors[0].detail, /nested \(through multi-ref values\) more than 256 levels deep/);
    });

    it('reports an href without its id', () => {
      const r = decodeEnvelope(operation(bundle, 'Add'), reply(`<ns1:AddResponse xmlns:ns1="${TNS}"><result href="#nowhere"/></ns1:AddResponse>`));
      assert.deepEqual(r.errors, [{ pointer: '/result', detail: 'refers to "#nowhere", but no element of the Body has id "nowhere"' }]);
    });

    it('refuses multi-dimensional and partially transmitted arrays with a clear error', () => {
      const op = operation(bundle, 'ListItems');
      const two = decodeEnvelope(op, reply(`<ns1:ListItemsResponse xmlns:ns1="${TNS}"><items soapenc:arrayType="xsd:string[2,2]"><i>a</i><i>b</i><i>c</i><i>d</i></items></ns1:ListItemsResponse>`));
      assert.deepEqual(two.errors, [{ pointer: '/items', detail: 'is a multi-dimensional SOAP-ENC array (soapenc:arrayType="xsd:string[2,2]"), which the bridge does not support' }]);
      const part = decodeEnvelope(op, reply(`<ns1:ListItemsResponse xmlns:ns1="${TNS}"><items soapenc:arrayType="xsd:string[5]" soapenc:offset="[2]"><i>a</i></items></ns1:ListItemsResponse>`));
      assert.match(part.errors[0].detail, /partially transmitted SOAP-ENC array/);
    });

    it('reports values that do not fit their declared type, and unknown accessors, with pointers', () => {
      const op = operation(bundle, 'PlaceOrder');
      const xml = reply(`<ns1:PlaceOrderResponse xmlns:ns1="${TNS}"><confirmation xsi:type="xsd:string">ok</confirmation><total xsi:type="xsd:double">lots</total><extra>1</extra></ns1:PlaceOrderResponse>`);
      const r = decodeEnvelope(op, xml);
      assert.deepEqual(r.errors, [
        { pointer: '/total', detail: 'is not a valid xs:double' },
        { pointer: '', detail: 'unexpected element extra' },
      ]);
    });

    it('reads a reply wrapper of any name and namespace, as some servers write it', () => {
      const r = decodeEnvelope(operation(bundle, 'Add'), reply(`<NS1:AddResult xmlns:NS1="urn:other-IService"><result xsi:type="xsd:int">1</result></NS1:AddResult>`));
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.value, { result: 1 });
      const empty = decodeEnvelope(operation(bundle, 'Add'), reply(''));
      assert.match(empty.errors[0].detail, /expected \{urn:soap-bridge:test:legacy\}AddResponse in the SOAP Body, found nothing/);
    });
  });
});
