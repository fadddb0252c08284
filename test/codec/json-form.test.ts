/**
 * CONTRACT §4, the JSON form of XML: one describe per rule, both directions.
 * The fixture's Echo operation has the same type in and out, so JSON written as XML can be
 * read back with the reply decoder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CompiledOperation } from '../../src/compile';
import { bodyXml, compileFixture, decodeEnvelope, fixture, operation } from '../support/compile';

const bundle = compileFixture(fixture('golden', 'convention', 'convention.wsdl'));
const echo: CompiledOperation = operation(bundle, 'Echo');

const base = { id: 1, amount: 2, count: 3, flag: true, text: 't', email: 'a@example.com' };

function reply(content: string, extraNs = ''): string {
  return (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"${extraNs}><s:Body>` +
    `<c:EchoResponse xmlns:c="urn:test:convention">${content}</c:EchoResponse></s:Body></s:Envelope>`
  );
}

const BASE_XML = '<c:id>1</c:id><c:amount>2</c:amount><c:count>3</c:count><c:flag>true</c:flag><c:text>t</c:text>';

/** JSON -> request XML -> (same content as a reply) -> JSON. */
function roundTrip(json: Record<string, unknown>): { xml: string; value: unknown; errors: unknown[] } {
  assert.equal(echo.validateInput(json), undefined, 'input must be valid');
  const xml = bodyXml(echo, json);
  const asReply = xml.replace(/^<tns:Echo>/, '<tns:EchoResponse>').replace(/<\/tns:Echo>$/, '</tns:EchoResponse>');
  const env = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="urn:test:convention" xmlns:o="urn:test:origin"><soap:Body>${asReply}</soap:Body></soap:Envelope>`;
  const { value, errors } = decodeEnvelope(echo, env);
  return { xml, value, errors };
}

function decodeOk(content: string): Record<string, unknown> {
  const { value, errors } = decodeEnvelope(echo, reply(content));
  assert.deepEqual(errors, []);
  assert.equal(echo.validateOutput(value), undefined);
  return value as Record<string, unknown>;
}

describe('JSON form of XML (CONTRACT §4)', () => {
  describe('rule 1: elements become properties named by local name, no namespaces in JSON', () => {
    it('writes qualified elements with prefixes and reads them back without', () => {
      const { xml, value } = roundTrip({ ...base });
      assert.match(xml, /^<tns:Echo><tns:id>1<\/tns:id>/);
      assert.deepEqual(Object.keys(value as object).filter((k) => k.includes(':')), []);
      assert.deepEqual(value, { ...base, tags: [], item: [] });
    });
    it('reads elements whatever prefix (or default namespace) the sender chose', () => {
      const v = decodeOk('<id xmlns="urn:test:convention">1</id><x:amount xmlns:x="urn:test:convention">2</x:amount><c:count>3</c:count><c:flag>1</c:flag><c:text>t</c:text><c:email>e</c:email>');
      assert.equal(v.id, 1);
      assert.equal(v.amount, 2);
      assert.equal(v.flag, true);
    });
    it('keeps unqualified local elements of an elementFormDefault="unqualified" schema unqualified', () => {
      const { xml, value } = roundTrip({ ...base, origin: { system: 'ERP', sequence: 7 } });
      assert.match(xml, /<o:origin><system>ERP<\/system><sequence>7<\/sequence><\/o:origin>/);
      assert.deepEqual((value as Record<string, unknown>).origin, { system: 'ERP', sequence: 7 });
    });
    it('refuses an element in the wrong namespace', () => {
      const { errors } = decodeEnvelope(echo, reply(`${BASE_XML}<email>e</email>`));
      assert.ok(errors.some((e) => /unexpected element email/.test(e.detail)), JSON.stringify(errors));
    });
  });

  describe('rule 2: document/literal wrapped, the JSON is the wrapper element content', () => {
    it('writes the wrapper element and its children from a flat JSON object', () => {
      assert.match(bodyXml(echo, { ...base }), /^<tns:Echo>.*<\/tns:Echo>$/);
      assert.equal(echo.model.input.style, 'wrapped');
    });
  });

  describe('rule 3: maxOccurs > 1 is always an array, also with one item', () => {
    it('reads one occurrence as an array of one', () => {
      const v = decodeOk(`${BASE_XML}<c:tags>solo</c:tags><c:email>e</c:email>`);
      assert.deepEqual(v.tags, ['solo']);
    });
    it('writes each array item as one element, in order', () => {
      const { xml, value } = roundTrip({ ...base, tags: ['a', 'b', 'c'] });
      assert.match(xml, /<tns:tags>a<\/tns:tags><tns:tags>b<\/tns:tags><tns:tags>c<\/tns:tags>/);
      assert.deepEqual((value as Record<string, unknown>).tags, ['a', 'b', 'c']);
    });
    it('refuses a single value where an array is due', () => {
      assert.deepEqual(echo.validateInput({ ...base, tags: 'a' }), [{ pointer: '/tags', detail: 'must be an array' }]);
    });
  });

  describe('rule 4: typed values follow the XSD type', () => {
    it('booleans are true/false (and 1/0 are read as booleans)', () => {
      assert.equal(decodeOk(BASE_XML.replace('true', '0') + '<c:email>e</c:email>').flag, false);
      assert.match(bodyXml(echo, { ...base, flag: false }), /<tns:flag>false<\/tns:flag>/);
    });
    it('a 19-digit long stays a string both ways, and input may give it as a string', () => {
      const big = '9223372036854775807';
      const { xml, value } = roundTrip({ ...base, id: big });
      assert.match(xml, /<tns:id>9223372036854775807<\/tns:id>/);
      assert.equal((value as Record<string, unknown>).id, big);
      assert.equal(decodeOk(BASE_XML.replace('<c:id>1', '<c:id>-9223372036854775808') + '<c:email>e</c:email>').id, '-9223372036854775808');
    });
    it('a long that fits a double is a number; one beyond 2^53 as a JSON number is refused', () => {
      assert.equal(decodeOk(BASE_XML.replace('<c:id>1', '<c:id>9007199254740991') + '<c:email>e</c:email>').id, 9007199254740991);
      const v = echo.validateInput({ ...base, id: 9007199254740993 });
      assert.equal(v?.[0].pointer, '/id');
      assert.match(v![0].detail, /send it as a string/);
      assert.deepEqual(echo.validateInput({ ...base, id: '9223372036854775808' }), [{ pointer: '/id', detail: 'must be <= 9223372036854775807' }]);
    });
    it('a 30-digit decimal stays a string, exactly', () => {
      const d = '123456789012345678901234567890.123';
      const { xml, value } = roundTrip({ ...base, amount: d });
      assert.match(xml, new RegExp(`<tns:amount>${d.replace('.', '\\.')}</tns:amount>`));
      assert.equal((value as Record<string, unknown>).amount, d);
    });
    it('a decimal number is written without exponent', () => {
      assert.match(bodyXml(echo, { ...base, amount: 1e21 }), /<tns:amount>1000000000000000000000<\/tns:amount>/);
      assert.match(bodyXml(echo, { ...base, amount: 1.5e-7 }), /<tns:amount>0\.00000015<\/tns:amount>/);
    });
    it('dates, base64 and enumerations are strings', () => {
      const v = roundTrip({ ...base, day: '2024-02-29', blob: 'aGVsbG8=', status: 'on' }).value as Record<string, unknown>;
      assert.equal(v.day, '2024-02-29');
      assert.equal(v.blob, 'aGVsbG8=');
      assert.equal(v.status, 'on');
      assert.deepEqual(echo.validateInput({ ...base, day: '2023-02-29' }), [{ pointer: '/day', detail: 'must be an xs:date (YYYY-MM-DD with optional time zone)' }]);
    });
    it('a malformed number in a reply is reported at its pointer', () => {
      const { errors } = decodeEnvelope(echo, reply(BASE_XML.replace('<c:count>3', '<c:count>three') + '<c:email>e</c:email>'));
      assert.deepEqual(errors, [{ pointer: '/count', detail: 'is not a valid xs:int' }]);
    });
  });

  describe('rule 5: xsi:nil is null, an absent optional element is absent', () => {
    it('reads xsi:nil="true" as null and absence as no property', () => {
      assert.equal(decodeOk(`${BASE_XML}<c:note xsi:nil="true"/><c:email>e</c:email>`).note, null);
      assert.equal('note' in decodeOk(`${BASE_XML}<c:email>e</c:email>`), false);
    });
    it('writes null as xsi:nil and leaves absent properties out', () => {
      assert.match(bodyXml(echo, { ...base, note: null }), /<tns:note xsi:nil="true"\/>/);
      assert.doesNotMatch(bodyXml(echo, { ...base }), /note/);
    });
    it('refuses null for an element that is not nillable, both ways', () => {
      assert.deepEqual(echo.validateInput({ ...base, text: null }), [{ pointer: '/text', detail: 'must be a string' }]);
      const { errors } = decodeEnvelope(echo, reply(BASE_XML.replace('<c:text>t</c:text>', '<c:text xsi:nil="true"/>') + '<c:email>e</c:email>'));
      assert.deepEqual(errors, [{ pointer: '/text', detail: 'has xsi:nil but the element is not nillable' }]);
    });
  });

  describe('rule 6: attributes are properties, @name on a clash, $value for simple content', () => {
    it('simple content with an attribute is {attr, $value}', () => {
      const { xml, value } = roundTrip({ ...base, price: { currency: 'EUR', $value: '24.50' } });
      assert.match(xml, /<tns:price currency="EUR">24\.50<\/tns:price>/);
      assert.deepEqual((value as Record<string, unknown>).price, { currency: 'EUR', $value: 24.5 });
    });
    it('an attribute named like an element of the same type is @name', () => {
      const item = { '@name': 'attr-value', code: 7, name: 'element-value', qty: 2 };
      const { xml, value } = roundTrip({ ...base, item: [item] });
      assert.match(xml, /<tns:item name="attr-value" code="7"><tns:name>element-value<\/tns:name><tns:qty>2<\/tns:qty><\/tns:item>/);
      assert.deepEqual((value as Record<string, unknown[]>).item[0], item);
    });
    it('attribute values are typed and escaped', () => {
      const { xml, value } = roundTrip({ ...base, item: [{ '@name': 'a "q" <&>\t\n', name: 'n' }] });
      assert.match(xml, /name="a &quot;q&quot; &lt;&amp;&gt;&#9;&#10;"/);
      assert.equal((value as Record<string, Record<string, unknown>[]>).item[0]['@name'], 'a "q" <&>\t\n');
    });
  });

  describe('rule 7: a choice shows only the chosen branch; xs:any is kept as XML in $any', () => {
    it('reads and writes the chosen branch only', () => {
      const v = roundTrip({ id: 1, amount: 2, count: 3, flag: true, text: 't', phone: '+1 555' }).value as Record<string, unknown>;
      assert.equal(v.phone, '+1 555');
      assert.equal('email' in v, false);
    });
    it('refuses two branches and no branch', () => {
      assert.deepEqual(echo.validateInput({ ...base, phone: '1' }), [{ pointer: '/phone', detail: 'cannot be combined with the alternative already given (xs:choice)' }]);
      const { email: _e, ...none } = base;
      assert.deepEqual(echo.validateInput(none), [{ pointer: '', detail: 'must contain one of: email, phone (xs:choice)' }]);
    });
    it('keeps content matched by xs:any as the exact XML, with the namespaces it uses', () => {
      const v = decodeOk(`${BASE_XML}<c:email>e</c:email><x:ext xmlns:x="urn:other" a="1"><x:b>&lt;k&gt;</x:b></x:ext><y:more xmlns:y="urn:more"/>`);
      assert.equal(v.$any, '<x:ext xmlns:x="urn:other" a="1"><x:b>&lt;k&gt;</x:b></x:ext><y:more xmlns:y="urn:more"/>');
      const inherited = decodeEnvelope(echo, reply(`${BASE_XML}<c:email>e</c:email><x:ext/>`, ' xmlns:x="urn:other"'));
      assert.equal((inherited.value as Record<string, unknown>).$any, '<x:ext xmlns:x="urn:other"/>');
    });
    it('writes $any back in place', () => {
      const { xml } = roundTrip({ ...base, $any: '<x:ext xmlns:x="urn:other">1</x:ext>' });
      assert.match(xml, /<tns:email>a@example.com<\/tns:email><x:ext xmlns:x="urn:other">1<\/x:ext><\/tns:Echo>$/);
    });
  });

  describe('rule 8: input order does not matter, XML is in schema order', () => {
    it('writes schema order from any property order', () => {
      const xml = bodyXml(echo, { email: 'e', text: 't', flag: true, count: 3, amount: 2, id: 1, tags: ['x'], note: 'n' });
      assert.equal(xml, '<tns:Echo><tns:id>1</tns:id><tns:amount>2</tns:amount><tns:count>3</tns:count><tns:flag>true</tns:flag><tns:text>t</tns:text><tns:tags>x</tns:tags><tns:note>n</tns:note><tns:email>e</tns:email></tns:Echo>');
    });
    it('answers JSON in schema order whatever order the reply used', () => {
      const v = decodeOk('<c:email>e</c:email><c:text>t</c:text><c:flag>true</c:flag><c:count>3</c:count><c:amount>2</c:amount><c:id>1</c:id>');
      assert.deepEqual(Object.keys(v), ['id', 'amount', 'count', 'flag', 'text', 'tags', 'item', 'email']);
    });
  });

  describe('rule 9: strings round-trip exactly', () => {
    const tricky = ['<tag>', 'a & b', 'x ]]> y', `"double" and 'single'`, 'line1\r\nline2\rline3\nline4', '\ttab\t', 'é à ü ß', '😀 astral 𝄞', '  leading and trailing  ', ''];
    for (const s of tricky) {
      it(`keeps ${JSON.stringify(s)}`, () => {
        const { xml, value } = roundTrip({ ...base, text: s });
        if (s.includes('\r')) assert.match(xml, /&#13;/);
        if (s.includes(']]>')) assert.doesNotMatch(xml, /\]\]>/);
        assert.equal((value as Record<string, unknown>).text, s);
      });
    }
    it('refuses a character XML cannot carry, at its pointer', () => {
      assert.throws(() => echo.encodeRequest({ ...base, text: 'bell\u0007' }), /cannot represent/);
    });
  });

  describe('rule 10: a repeating element with no items is [] in output; input may give [] or leave it out', () => {
    it('answers [] for absent repeating elements', () => {
      const v = decodeOk(`${BASE_XML}<c:email>e</c:email>`);
      assert.deepEqual(v.tags, []);
      assert.deepEqual(v.item, []);
    });
    it('accepts [] and absence on input, writing nothing', () => {
      assert.equal(echo.validateInput({ ...base, tags: [] }), undefined);
      assert.doesNotMatch(bodyXml(echo, { ...base, tags: [] }), /tags/);
    });
  });

  describe('rule 11: values keep their text; numbers compare by value', () => {
    it('keeps a dateTime offset and fraction exactly as received', () => {
      for (const when of ['2024-03-31T23:59:59.1234567+05:45', '2024-03-31T23:59:59Z', '2024-03-31T23:59:59', '2024-03-31T23:59:59.000-00:00']) {
        assert.equal(decodeOk(`${BASE_XML}<c:when>${when}</c:when><c:email>e</c:email>`).when, when);
      }
    });
    it('reads 24.50 as 24.5 and +007 as 7', () => {
      const v = decodeOk(BASE_XML.replace('<c:amount>2', '<c:amount>24.50').replace('<c:count>3', '<c:count>+007') + '<c:email>e</c:email>');
      assert.equal(v.amount, 24.5);
      assert.equal(v.count, 7);
    });
  });

  describe('rule 12: input is strict', () => {
    it('refuses a string where int, short, float or double is wanted', () => {
      assert.deepEqual(echo.validateInput({ ...base, count: '3' }), [{ pointer: '/count', detail: 'must be an integer' }]);
      assert.equal(echo.validateInput({ ...base, ratio: '0.5' })?.[0].pointer, '/ratio');
    });
    it('accepts numeric strings only for the big types', () => {
      assert.equal(echo.validateInput({ ...base, id: '42', amount: '0.10' }), undefined);
      assert.deepEqual(echo.validateInput({ ...base, amount: '1,5' })?.[0].pointer, '/amount');
    });
    it('refuses unknown properties, each at its pointer, and lists every violation', () => {
      const v = echo.validateInput({ id: 'x', count: 1.5, flag: 'yes', text: 1, email: 'e', extra: 1, item: [{ name: 'n', nope: 2 }] });
      const pointers = (v ?? []).map((e) => e.pointer).sort();
      assert.deepEqual(pointers, ['/amount', '/count', '/extra', '/flag', '/id', '/item/0/nope', '/text']);
      assert.deepEqual(v?.find((e) => e.pointer === '/amount'), { pointer: '/amount', detail: 'is required' });
    });
    it('accepts null only for nillable elements', () => {
      assert.equal(echo.validateInput({ ...base, note: null }), undefined);
      assert.equal(echo.validateInput({ ...base, count: null })?.[0].pointer, '/count');
    });
  });

  it('round-trips a full value as an identity', () => {
    const full = {
      id: '-9223372036854775808',
      amount: '0.1000000000000000000000000000001',
      count: -2147483648,
      ratio: 1.5e300,
      flag: false,
      text: 'ünïcödé <&> "q" \r\n ]]> 😀',
      when: '1999-12-31T23:59:60.5+14:00'.replace(':60.5', ':59.5'),
      day: '2000-02-29Z',
      tags: ['', ' ', 'x'],
      note: null,
      price: { currency: 'JPY', $value: 0 },
      item: [{ '@name': 'A', code: -1, name: 'a' }, { name: 'b', qty: 32767 }],
      phone: '0',
      status: 'off',
      blob: '',
      origin: { system: 'S', sequence: '18446744073709551615' },
      $any: '<z:any xmlns:z="urn:z">1</z:any>',
    };
    const { value, errors } = roundTrip(full);
    assert.deepEqual(errors, []);
    assert.deepEqual(value, full);
    assert.equal(echo.validateOutput(value), undefined);
  });
});
