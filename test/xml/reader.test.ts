/**
 * The runtime XML reader (src/xml/reader.ts): what it reads, what it refuses (and with which
 * code), how it decodes and normalises character data, and the helpers built on its tree
 * (outerXml, resolveQNameIn, attrOf, lineCol).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  DEFAULT_READ_LIMITS,
  XML_NS,
  XmlError,
  attrOf,
  lineCol,
  outerXml,
  readXml,
  resolveQNameIn,
  type ReadLimits,
  type XElem,
  type XmlErrorCode,
} from '../../src/xml/reader';

/** Reads `src`, expecting a refusal with `code`; returns the error for further checks. */
function refused(src: string, code: XmlErrorCode, limits?: Partial<ReadLimits>): XmlError {
  let caught: unknown;
  try {
    readXml(src, limits);
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) assert.fail(`expected ${code} for ${JSON.stringify(src.slice(0, 120))}, but it was read`);
  assert.ok(caught instanceof XmlError, `expected an XmlError, got ${String(caught)}`);
  assert.equal(caught.code, code, `wrong code for ${JSON.stringify(src.slice(0, 120))}: ${caught.message}`);
  assert.equal(typeof caught.offset, 'number');
  assert.ok(caught.offset >= 0 && caught.offset <= src.length, `offset ${caught.offset} out of range`);
  return caught;
}

const malformed = (src: string): XmlError => refused(src, 'XML_MALFORMED');

/** The only child of an element (asserting there is exactly one). */
function only(el: XElem): XElem {
  assert.equal(el.children.length, 1);
  return el.children[0];
}

function slice(src: string, el: XElem): string {
  return src.slice(el.start, el.end);
}

describe('xml/reader readXml', () => {
  describe('well-formed documents', () => {
    it('reads a minimal self-closing root', () => {
      const r = readXml('<a/>');
      assert.equal(r.local, 'a');
      assert.equal(r.qname, 'a');
      assert.equal(r.ns, '');
      assert.deepEqual(r.attrs, []);
      assert.deepEqual(r.children, []);
      assert.equal(r.text, '');
      assert.equal(r.parent, null);
      assert.equal(r.decls, null);
      assert.equal(r.start, 0);
      assert.equal(r.end, 4);
    });

    it('treats <a></a>, <a/> and <a /> alike', () => {
      for (const src of ['<a></a>', '<a/>', '<a />', '<a\t\r\n/>', '<a x="1"/>', '<a x="1" />']) {
        const r = readXml(src);
        assert.equal(r.local, 'a', src);
        assert.equal(r.children.length, 0, src);
        assert.equal(r.text, '', src);
        assert.equal(r.end, src.length, src);
      }
    });

    it('builds the tree with parents, children in order and the direct text of each element', () => {
      const r = readXml('<a>x<b/>y<c>z<d/></c>w</a>');
      assert.deepEqual(
        r.children.map((c) => c.local),
        ['b', 'c'],
      );
      assert.equal(r.text, 'xyw');
      const [b, c] = r.children;
      assert.equal(b.parent, r);
      assert.equal(c.parent, r);
      assert.equal(c.text, 'z');
      assert.equal(only(c).local, 'd');
      assert.equal(only(c).parent, c);
    });

    it('resolves prefixes declared on the element and on ancestors, and records decls', () => {
      const src =
        '<s:Envelope xmlns:s="urn:soap" xmlns:t="urn:t"><s:Body><t:op><t:arg/></t:op></s:Body></s:Envelope>';
      const env = readXml(src);
      assert.equal(env.ns, 'urn:soap');
      assert.equal(env.local, 'Envelope');
      assert.equal(env.qname, 's:Envelope');
      assert.deepEqual(env.decls, [
        ['s', 'urn:soap'],
        ['t', 'urn:t'],
      ]);
      assert.deepEqual(env.attrs, [], 'namespace declarations are not attributes');
      const body = only(env);
      assert.equal(body.ns, 'urn:soap');
      assert.equal(body.decls, null);
      const op = only(body);
      assert.equal(op.ns, 'urn:t');
      assert.equal(op.local, 'op');
      assert.equal(only(op).ns, 'urn:t');
    });

    it('applies a default namespace to unprefixed elements but not to unprefixed attributes', () => {
      const r = readXml('<a xmlns="urn:d" x="1"><b y="2"/></a>');
      assert.equal(r.ns, 'urn:d');
      assert.deepEqual(r.decls, [['', 'urn:d']]);
      assert.deepEqual(r.attrs, [{ ns: '', local: 'x', qname: 'x', value: '1' }]);
      const b = only(r);
      assert.equal(b.ns, 'urn:d');
      assert.equal(b.attrs[0].ns, '');
    });

    it('undeclares the default namespace with xmlns="" for that element and its descendants only', () => {
      const r = readXml('<a xmlns="urn:d"><b xmlns=""><c/></b><d/></a>');
      assert.equal(r.ns, 'urn:d');
      const [b, d] = r.children;
      assert.equal(b.ns, '');
      assert.deepEqual(b.decls, [['', '']]);
      assert.equal(only(b).ns, '');
      assert.equal(d.ns, 'urn:d', 'the undeclaration ends with </b>');
    });

    it('lets an inner declaration shadow an outer one only within its element', () => {
      const r = readXml('<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b><p:d/><e xmlns="urn:3"/><f/></p:a>');
      assert.equal(r.ns, 'urn:1');
      const [b, d, e, f] = r.children;
      assert.equal(b.ns, 'urn:2');
      assert.equal(only(b).ns, 'urn:2');
      assert.equal(d.ns, 'urn:1');
      assert.equal(e.ns, 'urn:3');
      assert.equal(f.ns, '', 'a self-closing element does not leak its declarations to siblings');
    });

    it('reads prefixed attributes (including xml:*) with their namespace, local name and qname', () => {
      const r = readXml('<a xmlns:p="urn:p" p:x="1" y="2" xml:lang="en" xmlns:q="urn:q" q:x="3"/>');
      assert.deepEqual(r.attrs, [
        { ns: 'urn:p', local: 'x', qname: 'p:x', value: '1' },
        { ns: '', local: 'y', qname: 'y', value: '2' },
        { ns: XML_NS, local: 'lang', qname: 'xml:lang', value: 'en' },
        { ns: 'urn:q', local: 'x', qname: 'q:x', value: '3' },
      ]);
    });

    it('accepts a declaration that comes after the attribute using it in the same start tag', () => {
      const r = readXml('<p:a p:x="1" xmlns:p="urn:p"/>');
      assert.equal(r.ns, 'urn:p');
      assert.equal(attrOf(r, 'urn:p', 'x'), '1');
    });

    it('accepts xmlns:xml bound to its own namespace', () => {
      const r = readXml(`<a xmlns:xml="${XML_NS}" xml:space="preserve"/>`);
      assert.equal(attrOf(r, XML_NS, 'space'), 'preserve');
    });

    it('accepts whitespace around "=", single quotes, and the other quote inside a value', () => {
      const r = readXml(`<a x = 'say "hi"' y\n=\t"it's" ></a >`);
      assert.equal(attrOf(r, '', 'x'), 'say "hi"');
      assert.equal(attrOf(r, '', 'y'), "it's");
    });

    it("allows '>' and ']]' (not followed by '>') in text and '>' in attribute values", () => {
      const r = readXml('<a x="b>c">1 > 0 ]] ]></a>');
      assert.equal(r.text, '1 > 0 ]] ]>');
      assert.equal(attrOf(r, '', 'x'), 'b>c');
    });

    it('reads CDATA sections verbatim (markup and references stay as written)', () => {
      const r = readXml('<a>x<![CDATA[<b>&amp;&nbsp; ]] ]>]]>y<![CDATA[]]></a>');
      assert.equal(r.text, 'x<b>&amp;&nbsp; ]] ]>y');
      assert.equal(r.children.length, 0);
    });

    it("can carry ']]>' through two adjacent CDATA sections", () => {
      assert.equal(readXml('<a><![CDATA[]]]]><![CDATA[>]]></a>').text, ']]>');
    });

    it('skips comments and processing instructions in the prolog, the content and the epilog', () => {
      const src =
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<!-- prolog <not-an-element/> -->\n<?pi some data?>\n' +
        '<a>1<!-- <b>&nbsp;</b> -->2<?pi <c> & ?>3<!---->4</a>\n' +
        '<!-- epilog --><?pi?>\n  ';
      const r = readXml(src);
      assert.equal(r.local, 'a');
      assert.equal(r.text, '1234');
      assert.equal(r.children.length, 0);
    });

    it('accepts an XML declaration alone and whitespace (space, tab, CR, LF) around the root', () => {
      const r = readXml('<?xml version="1.0"?>\r\n\t <a>t</a> \r\n\t');
      assert.equal(r.text, 't');
    });

    it('skips a leading byte order mark (offsets still count it)', () => {
      const src = '\uFEFF<?xml version="1.0" encoding="utf-8"?><a>t</a>';
      const r = readXml(src);
      assert.equal(r.text, 't');
      assert.equal(r.start, src.indexOf('<a>'));
      assert.equal(r.end, src.length);
      const bare = readXml('\uFEFF<a/>');
      assert.equal(bare.start, 1);
      assert.equal(bare.end, 5);
    });

    it('reads non-ASCII element and attribute names', () => {
      const r = readXml('<été xmlns:ñ="urn:n" ñ:größe="1"><数据/></été>');
      assert.equal(r.local, 'été');
      assert.deepEqual(r.attrs, [{ ns: 'urn:n', local: 'größe', qname: 'ñ:größe', value: '1' }]);
      assert.equal(only(r).local, '数据');
    });

    it('keeps whitespace-only text', () => {
      assert.equal(readXml('<a> \t\n </a>').text, ' \t\n ');
    });
  });

  describe('entity and character references', () => {
    it('decodes the five predefined entities in text and attribute values', () => {
      const r = readXml('<a v="&lt;&gt;&amp;&apos;&quot;">&lt;&gt;&amp;&apos;&quot;</a>');
      assert.equal(r.text, `<>&'"`);
      assert.equal(attrOf(r, '', 'v'), `<>&'"`);
    });

    it('decodes decimal and hexadecimal character references', () => {
      const r = readXml('<a v="&#65;&#x42;&#x00063;&#x1F600;">&#65;&#x42;&#x6a;&#233;</a>');
      assert.equal(r.text, 'ABjé');
      assert.equal(attrOf(r, '', 'v'), 'ABc😀');
    });

    it('decodes an astral character reference to one code point (a surrogate pair)', () => {
      const t = readXml('<a>&#x1F600;|&#128512;</a>').text;
      assert.equal(t, '😀|😀');
      assert.equal(t.length, 5);
      assert.equal(t.codePointAt(0), 0x1f600);
    });

    it('decodes the highest code point &#x10FFFF; and &#xE000;', () => {
      assert.equal(readXml('<a>&#x10FFFF;&#xE000;&#xFFFD;</a>').text, '\u{10FFFF}\uE000\uFFFD');
    });

    it('decodes only once (&amp;lt; is the text "&lt;")', () => {
      const r = readXml('<a v="&amp;#38;">&amp;lt;&amp;amp;</a>');
      assert.equal(r.text, '&lt;&amp;');
      assert.equal(attrOf(r, '', 'v'), '&#38;');
    });

    it('decodes references between other text and across child elements', () => {
      const r = readXml('<a>x &lt; y<b/>&gt; z</a>');
      assert.equal(r.text, 'x < y> z');
    });
  });

  describe('line ends and attribute-value normalisation', () => {
    it('turns CRLF and lone CR into LF in text', () => {
      assert.equal(readXml('<a>1\r\n2\r3\n4\r\r\n5\n\r6\r</a>').text, '1\n2\n3\n4\n\n5\n\n6\n');
    });

    it('keeps a CR written as &#13; (and &#13;&#10; as CRLF)', () => {
      assert.equal(readXml('<a>x&#13;y&#13;&#10;z&#xD;</a>').text, 'x\ry\r\nz\r');
      assert.equal(readXml('<a>&#13;\n</a>').text, '\r\n');
    });

    it('normalises line ends inside CDATA too', () => {
      assert.equal(readXml('<a><![CDATA[1\r\n2\r3\n]]></a>').text, '1\n2\n3\n');
    });

    it('turns tab, LF, CR and CRLF in attribute values into one space each', () => {
      const r = readXml('<a v="a\tb\nc\r\nd\re" w="\t\t"/>');
      assert.equal(attrOf(r, '', 'v'), 'a b c d e');
      assert.equal(attrOf(r, '', 'w'), '  ');
    });

    it('keeps &#9; &#10; &#13; in attribute values as the characters themselves', () => {
      const r = readXml('<a v="&#9;|&#10;|&#13;|&#xD;&#xA;"/>');
      assert.equal(attrOf(r, '', 'v'), '\t|\n|\r|\r\n');
    });

    it('does not trim or collapse spaces in attribute values (CDATA attributes)', () => {
      assert.equal(attrOf(readXml('<a v="  x   y  "/>'), '', 'v'), '  x   y  ');
    });

    it('keeps astral characters and é exactly (no Unicode normalisation)', () => {
      const decomposed = 'e\u0301';
      const src = `<a v="😀é${decomposed}">😀é${decomposed}<![CDATA[😀é]]></a>`;
      const r = readXml(src);
      assert.equal(r.text, `😀é${decomposed}😀é`);
      assert.equal(attrOf(r, '', 'v'), `😀é${decomposed}`);
      assert.notEqual(r.text.slice(3, 4), r.text.slice(4, 6), 'precomposed and decomposed é stay distinct');
    });

    it('keeps U+007F, U+0085, U+2028 and U+FFFD (all allowed in XML 1.0)', () => {
      const s = '\u007F\u0085\u2028\uFFFD';
      const r = readXml(`<a v="${s}">${s}</a>`);
      assert.equal(r.text, s);
      assert.equal(attrOf(r, '', 'v'), s);
    });
  });

  describe('offsets', () => {
    it("start is the '<' of the start tag and end is just past the end tag or '/>'", () => {
      const src = '<?xml version="1.0"?>\n<r xmlns="urn:r">\n  <a x="1">t<!--c--></a>\n  <b />\n  <c></c >\n</r>\n';
      const r = readXml(src);
      assert.equal(r.start, src.indexOf('<r'));
      assert.equal(r.end, src.lastIndexOf('</r>') + 4);
      const [a, b, c] = r.children;
      assert.equal(slice(src, a), '<a x="1">t<!--c--></a>');
      assert.equal(slice(src, b), '<b />');
      assert.equal(slice(src, c), '<c></c >');
      assert.equal(a.start, src.indexOf('<a '));
    });

    it('counts UTF-16 code units (an astral character is two)', () => {
      const src = '<r>😀<a/></r>';
      const a = only(readXml(src));
      assert.equal(a.start, 5);
      assert.equal(a.end, 9);
    });
  });

  describe('refusals: DTDs (XML_DTD)', () => {
    it('refuses a DOCTYPE', () => {
      const e = refused('<!DOCTYPE a><a/>', 'XML_DTD');
      assert.equal(e.offset, 0);
      refused('<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE a SYSTEM "a.dtd">\n<a/>', 'XML_DTD');
      refused('\uFEFF<!DOCTYPE a PUBLIC "-//x" "y"><a/>', 'XML_DTD');
    });

    it('refuses a billion-laughs document as XML_DTD at the DOCTYPE, before expanding anything', () => {
      let dtd = '<!ENTITY lol0 "lol">';
      for (let n = 1; n <= 9; n++) dtd += `<!ENTITY lol${n} "${`&lol${n - 1};`.repeat(10)}">`;
      const src = `<?xml version="1.0"?>\n<!DOCTYPE lolz [${dtd}]>\n<lolz>&lol9;</lolz>`;
      const t0 = process.hrtime.bigint();
      const e = refused(src, 'XML_DTD');
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(e.offset, src.indexOf('<!DOCTYPE'), 'refused at the DOCTYPE itself');
      assert.ok(!e.message.includes('lollol'), 'nothing was expanded into the message');
      assert.ok(ms < 100, `refused quickly (${ms} ms)`);
    });

    it('refuses an external entity (XXE) as XML_DTD, not as an undefined entity', () => {
      refused('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', 'XML_DTD');
    });

    it('refuses DTD declarations in the content and in the epilog', () => {
      refused('<a><!ENTITY x "y"></a>', 'XML_DTD');
      refused('<a><!ELEMENT a ANY></a>', 'XML_DTD');
      refused('<a><!DOCTYPE a></a>', 'XML_DTD');
      refused('<a/><!DOCTYPE a>', 'XML_DTD');
      refused('<!ENTITY x "y"><a/>', 'XML_DTD');
    });

    it('refuses other <! markup (lower-case doctype) as malformed, and ATTLIST/NOTATION declarations as DTD', () => {
      malformed('<!doctype a><a/>');
      malformed('<a><!x></a>');
      assert.equal(refused('<a><!ATTLIST a x CDATA #IMPLIED></a>', 'XML_DTD').code, 'XML_DTD');
      assert.equal(refused('<!NOTATION n SYSTEM "x"><a/>', 'XML_DTD').code, 'XML_DTD');
    });
  });

  describe('refusals: references (XML_MALFORMED)', () => {
    it('refuses undefined entities such as &nbsp; in text and attribute values', () => {
      const e = malformed('<a>x&nbsp;y</a>');
      assert.equal(e.offset, 4);
      assert.match(e.message, /nbsp/);
      malformed('<a v="&nbsp;"/>');
      malformed('<a>&copy;</a>');
      malformed('<a>&LT;</a>');
    });

    it('refuses entity names that exist on Object.prototype (no prototype lookups)', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        malformed(`<a>&${name};</a>`);
        malformed(`<a v="&${name};"/>`);
      }
    });

    it("refuses a bare '&' in text and attribute values", () => {
      malformed('<a>AT&T</a>');
      malformed('<a>fish & chips; and more</a>');
      malformed('<a>&</a>');
      malformed('<a>&;</a>');
      malformed('<a v="a&b"/>');
      malformed('<a v="&"/>');
    });

    it('refuses malformed character references', () => {
      for (const ref of ['&#;', '&#x;', '&#xZZ;', '&#X41;', '&#12a;', '&#-1;', '&#x110000;', '&#1114112;', '&#99999999999999999999;', '&# 65;'])
        malformed(`<a>${ref}</a>`);
    });
  });

  describe('refusals: structure (XML_MALFORMED)', () => {
    it('refuses a mismatched end tag', () => {
      const src = '<a><b></a></b>';
      assert.equal(malformed(src).offset, src.indexOf('</a>'));
      malformed('<a></A>');
      malformed('<a></a b>');
      malformed('<a></ a>');
      malformed('<p:a xmlns:p="urn:x" xmlns:q="urn:x"></q:a>');
    });

    it('refuses a missing end tag (truncated documents)', () => {
      for (const src of [
        '<a>',
        '<a><b></b>',
        '<a><b/>',
        '<a>text',
        '<a><b>text</b>more',
        '<a><!-- c -->',
        '<?xml version="1.0"?><s:Envelope xmlns:s="urn:s"><s:Body><x>1</x>',
      ])
        malformed(src);
    });

    it('refuses documents truncated inside markup', () => {
      for (const src of [
        '<a',
        '<a x',
        '<a x=',
        '<a x="1',
        '<a x="1"',
        '<a x="1"/',
        '<a></a',
        '<a><!-- c',
        '<a><![CDATA[x',
        '<a><?pi',
        '<?xml version="1.0"',
        '<!-- c',
        '<a><',
        '<a></',
      ])
        malformed(src);
    });

    it('refuses an end tag without a start tag', () => {
      malformed('</a>');
      malformed('<a/></a>');
    });

    it('refuses two root elements', () => {
      malformed('<a/><b/>');
      malformed('<a></a><a></a>');
      malformed('<a/>\n<!-- c -->\n<a/>');
    });

    it('refuses text before or after the root element', () => {
      assert.equal(malformed('x<a/>').offset, 0);
      assert.equal(malformed('<a/>x').offset, 4);
      malformed('<a/>&amp;');
      malformed('<?xml version="1.0"?>x<a/>');
      malformed('\u00A0<a/>');
      malformed('<a/>\uFEFF');
      malformed('<![CDATA[x]]><a/>');
      malformed('<a/><![CDATA[x]]>');
    });

    it('refuses a document without a root element', () => {
      malformed('');
      malformed('  \n ');
      malformed('\uFEFF');
      malformed('<?xml version="1.0"?><!-- only a comment -->');
    });

    it('refuses duplicate attributes', () => {
      const src = '<a x="1" y="2" x="3"/>';
      assert.equal(malformed(src).offset, src.lastIndexOf('x='));
      malformed('<a x="1" x="1"/>');
      malformed('<a xmlns:p="urn:p" p:x="1" p:x="2"/>');
      malformed('<a xmlns:p="urn:p" xmlns:p="urn:p"/>');
      malformed('<a xmlns="urn:d" xmlns="urn:d"/>');
    });

    it('reads and checks tags with thousands of attributes (set-based duplicate check)', () => {
      const many = Array.from({ length: 5000 }, (_, i) => `a${i}="${i}"`).join(' ');
      // Above XML_MAX_ATTRIBUTES' default (256): the limit is raised for this test.
      const r = readXml(`<e ${many}/>`, { maxAttributes: 6000 });
      assert.equal(r.attrs.length, 5000);
      assert.equal(attrOf(r, '', 'a4999'), '4999');
      refused(`<e ${many} a17="again"/>`, 'XML_MALFORMED', { maxAttributes: 6000 });
      const prefixed = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'p' : 'q'}:b${Math.floor(i / 2)}="${i}"`).join(' ');
      malformed(`<e xmlns:p="urn:x" xmlns:q="urn:x" ${prefixed}/>`);
      assert.equal(readXml(`<e xmlns:p="urn:x" xmlns:q="urn:y" ${prefixed}/>`).attrs.length, 40);
    });

    it('refuses attributes with the same expanded name under different prefixes', () => {
      malformed('<a xmlns:p="urn:x" xmlns:q="urn:x" p:x="1" q:x="2"/>');
      malformed('<r xmlns:p="urn:x"><a xmlns:q="urn:x" p:x="1" q:x="2"/></r>');
      malformed(`<a xmlns:x="${XML_NS}" xml:lang="en" x:lang="fr"/>`);
    });

    it('accepts attributes with the same local name in different namespaces', () => {
      const r = readXml('<a xmlns:p="urn:1" xmlns:q="urn:2" x="0" p:x="1" q:x="2"/>');
      assert.equal(attrOf(r, '', 'x'), '0');
      assert.equal(attrOf(r, 'urn:1', 'x'), '1');
      assert.equal(attrOf(r, 'urn:2', 'x'), '2');
    });

    it('refuses unbound element prefixes', () => {
      assert.equal(malformed('<p:a/>').offset, 0);
      malformed('<a><p:b/></a>');
      malformed('<a><b xmlns:p="urn:p"/><p:c/></a>');
      malformed('<xmlns:a/>');
    });

    it('refuses unbound attribute prefixes', () => {
      malformed('<a p:x="1"/>');
      malformed('<a><b xmlns:p="urn:p"/><c p:x="1"/></a>');
      malformed('<r><a xmlns:x="urn:x"><b/></a><c x:y="1"/></r>');
    });

    it('refuses prefixes named like Object.prototype members unless declared', () => {
      for (const p of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
        malformed(`<${p}:a/>`);
        malformed(`<a ${p}:x="1"/>`);
      }
      const r = readXml('<__proto__:a xmlns:__proto__="urn:p" __proto__:x="1"><constructor:b xmlns:constructor="urn:c"/></__proto__:a>');
      assert.equal(r.ns, 'urn:p');
      assert.equal(attrOf(r, 'urn:p', 'x'), '1');
      assert.equal(only(r).ns, 'urn:c');
    });

    it('refuses invalid namespace declarations', () => {
      malformed('<a xmlns:p=""/>');
      malformed('<a xmlns:xmlns="urn:x"/>');
      malformed('<a xmlns:xml="urn:not-xml"/>');
      malformed('<a xmlns:="urn:x"/>');
      malformed('<a xmlns:p:q="urn:x"/>');
      malformed('<a xmlns:1p="urn:x"/>');
      malformed('<a xmlns:p="http://www.w3.org/2000/xmlns/" p:x="1"/>');
    });

    it('refuses invalid element and attribute names', () => {
      for (const src of ['<1a/>', '<-a/>', '<:a/>', '<a:/>', '< a/>', '<a:b:c xmlns:a="urn:a"/>', '<a 1x="1"/>', '<a :x="1"/>', '<a ="1"/>', '<a&b/>'])
        malformed(src);
    });

    it('refuses attribute values that are unquoted or missing', () => {
      malformed('<a x=1/>');
      malformed('<a x=1></a>');
      malformed('<a x></a>');
      malformed('<a x/>');
      malformed('<a x=></a>');
    });

    it('refuses attributes not separated by whitespace', () => {
      malformed('<a x="1"y="2"/>');
    });

    it("refuses '<' in attribute values", () => {
      const src = '<a x="a<b"/>';
      assert.equal(malformed(src).offset, src.indexOf('"'));
      malformed("<a x='<'/>");
      malformed('<a x="<b/>"></a>');
    });

    it("refuses ']]>' in text", () => {
      malformed('<a>]]></a>');
      malformed('<a>x]]>y</a>');
      malformed('<a><![CDATA[x]]>]]></a>');
      malformed('<a>x<b/>]]></a>');
    });

    it("refuses '/' not followed by '>' in a start tag", () => {
      malformed('<a / >');
      malformed('<a/ ></a>');
    });
  });

  describe('refusals: invalid characters (XML_MALFORMED)', () => {
    const BAD = ['\u0000', '\u0001', '\u0008', '\u000B', '\u000C', '\u001F', '\uFFFE', '\uFFFF', '\uD800', '\uDFFF', '\uDE00\uD83D'];

    it('refuses forbidden characters written literally in text, attribute values and CDATA', () => {
      for (const c of BAD) {
        malformed(`<a>x${c}y</a>`);
        malformed(`<a v="x${c}y"/>`);
        malformed(`<a><![CDATA[x${c}y]]></a>`);
      }
    });

    it('refuses forbidden characters written as character references', () => {
      for (const ref of ['&#1;', '&#x1;', '&#0;', '&#x0;', '&#8;', '&#x1F;', '&#xB;', '&#xFFFE;', '&#xFFFF;', '&#xD800;', '&#xDFFF;', '&#55357;']) {
        const e = malformed(`<a>ok${ref}</a>`);
        assert.equal(e.offset, 5, ref);
        malformed(`<a v="${ref}"/>`);
      }
    });

    it('refuses a forbidden character written literally in a comment or processing instruction', () => {
      malformed('<a><!-- \u0001 --></a>');
      malformed('<!-- \u0001 --><a/>');
      malformed('<a/><!-- \uFFFF -->');
      malformed('<?pi \u0001?><a/>');
      malformed('<a><?pi \u0002?></a>');
    });

    it('refuses a forbidden character in the prolog or in a name', () => {
      malformed('\u0001<a/>');
      malformed('<a\u0001/>');
      malformed('<a x\u0001="1"/>');
    });
  });

  describe('refusals: limits (XML_LIMIT)', () => {
    const nest = (n: number, selfClose = true): string => {
      let s = '';
      for (let k = 0; k < n - 1; k++) s += `<e${k}>`;
      s += selfClose ? '<leaf/>' : '<leaf></leaf>';
      for (let k = n - 2; k >= 0; k--) s += `</e${k}>`;
      return s;
    };

    it('accepts nesting exactly at maxDepth and refuses one level deeper', () => {
      for (const selfClose of [true, false]) {
        assert.equal(readXml(nest(3, selfClose), { maxDepth: 3 }).local, 'e0');
        const src = nest(4, selfClose);
        const e = refused(src, 'XML_LIMIT', { maxDepth: 3 });
        assert.equal(e.offset, src.indexOf('<leaf'));
      }
    });

    it('counts depth, not the number of elements (siblings do not add up)', () => {
      const src = `<r>${'<a><b/></a>'.repeat(50)}</r>`;
      assert.equal(readXml(src, { maxDepth: 3 }).children.length, 50);
      refused(src, 'XML_LIMIT', { maxDepth: 2 });
    });

    it('uses DEFAULT_READ_LIMITS (256) when no limits are given', () => {
      assert.equal(DEFAULT_READ_LIMITS.maxDepth, 256);
      assert.equal(readXml(nest(256)).local, 'e0');
      refused(nest(257), 'XML_LIMIT');
    });

    it('refuses a very deep (and even unclosed) document as XML_LIMIT where the limit is crossed', () => {
      const src = '<a>'.repeat(200000);
      // The 257th start tag: nothing after it is read.
      assert.equal(refused(src, 'XML_LIMIT').offset, 256 * 3);
    });
  });

  describe('XmlError', () => {
    it('is an Error named XmlError with code, message and offset', () => {
      const e = malformed('<a>\n  <b>&nbsp;</b>\n</a>');
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'XmlError');
      assert.equal(e.offset, 9);
      assert.deepEqual(lineCol('<a>\n  <b>&nbsp;</b>\n</a>', e.offset), { line: 2, col: 6 });
      assert.ok(e.message.length > 0);
    });
  });
});

describe('xml/reader lineCol', () => {
  it('gives 1-based line and column', () => {
    const src = 'ab\ncd\n\nef';
    assert.deepEqual(lineCol(src, 0), { line: 1, col: 1 });
    assert.deepEqual(lineCol(src, 1), { line: 1, col: 2 });
    assert.deepEqual(lineCol(src, 3), { line: 2, col: 1 });
    assert.deepEqual(lineCol(src, 4), { line: 2, col: 2 });
    assert.deepEqual(lineCol(src, 7), { line: 4, col: 1 });
  });
});

describe('xml/reader outerXml', () => {
  const ENV =
    '<?xml version="1.0"?>\n' +
    '<s:Envelope xmlns:s="urn:soap" xmlns:t="urn:t" xmlns:unused="urn:unused" xmlns="urn:default">' +
    '<s:Body><t:op><t:item  a="1" >x &amp; y<![CDATA[<z>]]><!-- c --><t:sub/></t:item><plain/></t:op></s:Body></s:Envelope>';

  const find = (el: XElem, local: string): XElem => {
    if (el.local === local) return el;
    for (const c of el.children) {
      try {
        return find(c, local);
      } catch {
        // keep looking
      }
    }
    throw new Error(`no <${local}>`);
  };

  /** Reads `src` and returns outerXml of the first element with `local`. */
  const outer = (src: string, local: string): string => outerXml(src, find(readXml(src), local));

  it('returns the exact source of the element, adding only the declarations it uses', () => {
    assert.equal(
      outer(ENV, 'item'),
      '<t:item xmlns:t="urn:t"  a="1" >x &amp; y<![CDATA[<z>]]><!-- c --><t:sub/></t:item>',
    );
  });

  it('adds an inherited default namespace when an unprefixed element uses it', () => {
    assert.equal(outer(ENV, 'plain'), '<plain xmlns="urn:default"/>');
    assert.equal(outer('<r xmlns="urn:d"><a><b>t</b></a></r>', 'a'), '<a xmlns="urn:d"><b>t</b></a>');
  });

  it('adds nothing for an element in no namespace, nor after xmlns=""', () => {
    assert.equal(outer('<r xmlns:p="urn:p"><a x="1"><b/></a></r>', 'a'), '<a x="1"><b/></a>');
    assert.equal(outer('<r xmlns="urn:d"><m xmlns=""><a><b/></a></m></r>', 'a'), '<a><b/></a>');
  });

  it('returns the root element unchanged, without prolog or epilog', () => {
    const src = '\uFEFF<?xml version="1.0"?><!--c--><p:r xmlns:p="urn:p" xmlns:q="urn:q"><q:a/></p:r><!--e-->';
    assert.equal(outer(src, 'r'), '<p:r xmlns:p="urn:p" xmlns:q="urn:q"><q:a/></p:r>');
  });

  it('does not repeat a declaration the element makes itself', () => {
    const src = '<p:r xmlns:p="urn:p"><p:a xmlns:p="urn:p2"><p:b/></p:a></p:r>';
    assert.equal(outer(src, 'a'), '<p:a xmlns:p="urn:p2"><p:b/></p:a>');
  });

  it('adds prefixes used only by attributes, and by descendants', () => {
    const src = '<r xmlns:p="urn:p" xmlns:q="urn:q" xmlns:z="urn:z"><a p:x="1"><b><q:c/></b></a></r>';
    assert.equal(outer(src, 'a'), '<a xmlns:p="urn:p" xmlns:q="urn:q" p:x="1"><b><q:c/></b></a>');
  });

  it('adds the prefix of a QName-valued attribute such as xsi:type', () => {
    const src =
      '<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:t="urn:types" xmlns:u="urn:u">' +
      '<v xsi:type="t:Money">1</v></r>';
    assert.equal(
      outer(src, 'v'),
      '<v xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:t="urn:types" xsi:type="t:Money">1</v>',
    );
  });

  it('never declares the xml prefix', () => {
    assert.equal(outer('<r xmlns:p="urn:p"><a xml:lang="en"/></r>', 'a'), '<a xml:lang="en"/>');
  });

  it('inserts declarations before "/>" of a self-closing element', () => {
    assert.equal(outer('<r xmlns:p="urn:p"><p:a/></r>', 'a'), '<p:a xmlns:p="urn:p"/>');
  });

  it('escapes the namespace URI it writes', () => {
    const src = '<r xmlns:p="urn:a&amp;b&quot;c&lt;d"><p:a/></r>';
    const out = outer(src, 'a');
    assert.equal(out, '<p:a xmlns:p="urn:a&amp;b&quot;c&lt;d"/>');
    assert.equal(readXml(out).ns, 'urn:a&b"c<d');
  });

  it('does not add an ancestor binding that a descendant shadows with its own declaration', () => {
    assert.equal(
      outer('<r xmlns="urn:x" xmlns:p="urn:p"><p:a><b xmlns="urn:y"/></p:a></r>', 'a'),
      '<p:a xmlns:p="urn:p"><b xmlns="urn:y"/></p:a>',
    );
    assert.equal(
      outer('<r xmlns:p="urn:1"><a><p:b xmlns:p="urn:2"><p:c/></p:b></a></r>', 'a'),
      '<a><p:b xmlns:p="urn:2"><p:c/></p:b></a>',
    );
    // ...but does add it when the prefix is also used outside the shadowing element.
    assert.equal(
      outer('<r xmlns:p="urn:1"><a><p:b xmlns:p="urn:2"/><p:c/></a></r>', 'a'),
      '<a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/><p:c/></a>',
    );
  });

  it('gives a fragment that reads on its own to the same names and values', () => {
    const src =
      '<s:E xmlns:s="urn:s" xmlns="urn:d" xmlns:t="urn:t" xmlns:xsi="urn:xsi"><s:B>' +
      '<t:a xsi:type="t:T" t:k="v&#13;"><b><t:c>1 &lt; 2</t:c></b><d xmlns=""><e/></d></t:a></s:B></s:E>';
    const original = find(readXml(src), 'a');
    const frag = outerXml(src, original);
    const reread = readXml(frag);
    const names = (e: XElem): string[] => [`{${e.ns}}${e.local}=${e.text}`, ...e.children.flatMap(names)];
    assert.deepEqual(names(reread), names(original));
    assert.deepEqual(
      reread.attrs.map((a) => [a.ns, a.local, a.value]),
      original.attrs.map((a) => [a.ns, a.local, a.value]),
    );
    assert.deepEqual(resolveQNameIn(reread, 't:T'), { ns: 'urn:t', local: 'T' });
    assert.ok(!frag.includes('urn:s'), 'the envelope namespace is not carried along');
  });
});

describe('xml/reader resolveQNameIn', () => {
  const src =
    '<r xmlns="urn:d" xmlns:p="urn:p1"><a xmlns:p="urn:p2"><b/></a><c xmlns=""><d/></c><e/></r>';
  const r = readXml(src);
  const [a, c, e] = r.children;
  const b = only(a);
  const d = only(c);

  it('resolves a prefix through the nearest declaration on the element or its ancestors', () => {
    assert.deepEqual(resolveQNameIn(r, 'p:T'), { ns: 'urn:p1', local: 'T' });
    assert.deepEqual(resolveQNameIn(a, 'p:T'), { ns: 'urn:p2', local: 'T' });
    assert.deepEqual(resolveQNameIn(b, 'p:T'), { ns: 'urn:p2', local: 'T' });
    assert.deepEqual(resolveQNameIn(e, 'p:T'), { ns: 'urn:p1', local: 'T' });
  });

  it('resolves an unprefixed name to the default namespace in scope (or none)', () => {
    assert.deepEqual(resolveQNameIn(b, 'T'), { ns: 'urn:d', local: 'T' });
    assert.deepEqual(resolveQNameIn(d, 'T'), { ns: '', local: 'T' });
    assert.deepEqual(resolveQNameIn(readXml('<x/>'), 'T'), { ns: '', local: 'T' });
  });

  it('resolves the xml prefix without a declaration', () => {
    assert.deepEqual(resolveQNameIn(b, 'xml:lang'), { ns: XML_NS, local: 'lang' });
  });

  it('trims surrounding whitespace of the value', () => {
    assert.deepEqual(resolveQNameIn(b, ' \n p:T\t'), { ns: 'urn:p2', local: 'T' });
  });

  it('returns undefined for an unbound prefix (including Object.prototype names)', () => {
    assert.equal(resolveQNameIn(b, 'q:T'), undefined);
    assert.equal(resolveQNameIn(b, 'constructor:T'), undefined);
    assert.equal(resolveQNameIn(b, '__proto__:T'), undefined);
    assert.equal(resolveQNameIn(readXml('<x xmlns:p="urn:p"/>'), 'xmlns:p'), undefined);
  });
});

describe('xml/reader attrOf', () => {
  const r = readXml(
    `<a xmlns="urn:d" xmlns:p="urn:p" xmlns:q="urn:p2" x="plain" p:x="in-p" q:y="in-q" xml:lang="en"/>`,
  );

  it('finds an attribute by namespace URI and local name, whatever its prefix', () => {
    assert.equal(attrOf(r, '', 'x'), 'plain');
    assert.equal(attrOf(r, 'urn:p', 'x'), 'in-p');
    assert.equal(attrOf(r, 'urn:p2', 'y'), 'in-q');
    assert.equal(attrOf(r, XML_NS, 'lang'), 'en');
  });

  it('returns undefined for other namespaces, prefixes used as namespaces, and missing names', () => {
    assert.equal(attrOf(r, 'urn:d', 'x'), undefined, 'the default namespace does not apply to attributes');
    assert.equal(attrOf(r, 'p', 'x'), undefined);
    assert.equal(attrOf(r, '', 'p:x'), undefined);
    assert.equal(attrOf(r, '', 'y'), undefined);
    assert.equal(attrOf(r, '', 'z'), undefined);
  });

  it('does not expose namespace declarations as attributes', () => {
    assert.equal(attrOf(r, '', 'xmlns'), undefined);
    assert.equal(attrOf(r, 'http://www.w3.org/2000/xmlns/', 'p'), undefined);
    assert.ok(r.attrs.every((at) => !at.qname.startsWith('xmlns')));
  });

  it('returns an empty value as the empty string, not undefined', () => {
    assert.equal(attrOf(readXml('<a x=""/>'), '', 'x'), '');
  });
});
