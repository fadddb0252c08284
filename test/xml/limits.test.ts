/**
 * XML threat protection and JSON limits, at the tokenizer: every limit of ReadLimits just
 * under and just over (with the limit's name and value in the message), DTD attacks refused
 * before anything is expanded, the looser load limits (file:line:col), and the JSON depth scan.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { Diagnostics, LoadError } from '../../src/compile/diagnostics';
import { loadDocuments } from '../../src/compile/loader';
import { jsonDepthMessage, jsonTooDeep } from '../../src/json/depth';
import { readXml } from '../../src/xml/reader';
import { parseSourceXml } from '../../src/xml/source';
import { DEFAULT_READ_LIMITS, LOAD_READ_LIMITS, XmlError, type ReadLimits, type XmlErrorCode } from '../../src/xml/stream';
import { tempDir } from '../support/bridge';

function refusal(src: string, limits?: Partial<ReadLimits>): XmlError {
  try {
    readXml(src, limits);
  } catch (e) {
    assert.ok(e instanceof XmlError, `expected an XmlError, got ${String(e)}`);
    return e;
  }
  return assert.fail(`expected a refusal of ${JSON.stringify(src.slice(0, 80))}`);
}

function refusedWith(src: string, code: XmlErrorCode, message: RegExp | string, limits?: Partial<ReadLimits>): XmlError {
  const e = refusal(src, limits);
  assert.equal(e.code, code, e.message);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return e;
}

const chain = (n: number): string => '<a>'.repeat(n) + '</a>'.repeat(n);

describe('xml/limits: the tokenizer limits', () => {
  it('has safe defaults, each named by its environment variable', () => {
    assert.deepEqual(
      { ...DEFAULT_READ_LIMITS, names: undefined },
      { maxDepth: 256, maxElements: 1000000, maxAttributes: 256, maxNameLength: 1024, maxTextLength: 8388608, maxAttributeLength: 65536, maxNsDecls: 64, maxNsDeclsTotal: 4096, names: undefined },
    );
    refusedWith(chain(257), 'XML_LIMIT', 'element depth exceeds XML_MAX_DEPTH (256)');
    assert.equal(readXml(chain(256)).local, 'a');
  });

  it('element depth: at the limit read, one deeper refused', () => {
    assert.equal(readXml(chain(5), { maxDepth: 5 }).local, 'a');
    const e = refusedWith(chain(6), 'XML_LIMIT', 'element depth exceeds XML_MAX_DEPTH (5)', { maxDepth: 5 });
    assert.equal(e.offset, 15); // the sixth '<a>'
  });

  it('element count: the whole document, siblings included', () => {
    const doc = (n: number): string => `<r>${'<i/>'.repeat(n - 1)}</r>`;
    assert.equal(readXml(doc(10), { maxElements: 10 }).children.length, 9);
    refusedWith(doc(11), 'XML_LIMIT', 'element count exceeds XML_MAX_ELEMENTS (10)', { maxElements: 10 });
  });

  it('attributes per element: namespace declarations count', () => {
    const tag = (n: number, ns = false): string => `<r ${Array.from({ length: n }, (_, i) => (ns && i === 0 ? 'xmlns:p="urn:p"' : `a${i}="${i}"`)).join(' ')}/>`;
    assert.equal(readXml(tag(4), { maxAttributes: 4 }).attrs.length, 4);
    refusedWith(tag(5), 'XML_LIMIT', 'attributes on one element exceeds XML_MAX_ATTRIBUTES (4)', { maxAttributes: 4 });
    assert.equal(readXml(tag(4, true), { maxAttributes: 4 }).attrs.length, 3);
    refusedWith(tag(5, true), 'XML_LIMIT', /XML_MAX_ATTRIBUTES \(4\)/, { maxAttributes: 4 });
    // Per element: four on each of many elements is fine.
    assert.equal(readXml(`<r>${tag(4).replace('<r', '<i')}${tag(4).replace('<r', '<i')}</r>`, { maxAttributes: 4 }).children.length, 2);
  });

  it('name length: element names, prefixed names and attribute names', () => {
    const limits = { maxNameLength: 8 };
    assert.equal(readXml('<abcdefgh/>', limits).local, 'abcdefgh');
    refusedWith('<abcdefghi/>', 'XML_LIMIT', 'name length exceeds XML_MAX_NAME_LENGTH (8)', limits);
    assert.equal(readXml('<p:abcdef xmlns:p="urn:p"/>', { maxNameLength: 8 }).local, 'abcdef');
    refusedWith('<p:abcdefg xmlns:p="urn:p"/>', 'XML_LIMIT', /XML_MAX_NAME_LENGTH \(8\)/, limits);
    assert.equal(readXml('<r abcdefgh="1"/>', limits).attrs.length, 1);
    refusedWith('<r abcdefghi="1"/>', 'XML_LIMIT', /XML_MAX_NAME_LENGTH/, limits);
    refusedWith('<r xmlns:abc="urn:x"/>', 'XML_LIMIT', /XML_MAX_NAME_LENGTH/, limits); // "xmlns:abc" is 9
  });

  it('text length: plain text, text between elements, CDATA, as written', () => {
    const limits = { maxTextLength: 10 };
    const ten = 'x'.repeat(10);
    assert.equal(readXml(`<r>${ten}</r>`, limits).text, ten);
    refusedWith(`<r>${ten}x</r>`, 'XML_LIMIT', 'text length exceeds XML_MAX_TEXT_LENGTH (10)', limits);
    assert.equal(readXml(`<r><a/>${ten}<b/></r>`, limits).text, ten);
    refusedWith(`<r><a/>${ten}x<b/></r>`, 'XML_LIMIT', /XML_MAX_TEXT_LENGTH/, limits);
    assert.equal(readXml(`<r><![CDATA[${ten}]]></r>`, limits).text, ten);
    refusedWith(`<r><![CDATA[${ten}x]]></r>`, 'XML_LIMIT', /XML_MAX_TEXT_LENGTH/, limits);
    // As written: "&amp;" is five characters of the document.
    refusedWith('<r>&amp;&amp;&amp;</r>', 'XML_LIMIT', /XML_MAX_TEXT_LENGTH/, limits);
    // Many short runs add up to nothing: the limit is per run.
    assert.equal(readXml(`<r>${`<a>${ten}</a>`.repeat(20)}</r>`, limits).children.length, 20);
  });

  it('attribute value length, as written', () => {
    const limits = { maxAttributeLength: 6 };
    assert.equal(readXml('<r a="123456"/>', limits).attrs[0].value, '123456');
    refusedWith('<r a="1234567"/>', 'XML_LIMIT', 'attribute value length exceeds XML_MAX_ATTRIBUTE_LENGTH (6)', limits);
    refusedWith("<r a='1234567'/>", 'XML_LIMIT', /XML_MAX_ATTRIBUTE_LENGTH/, limits);
    refusedWith('<r xmlns:p="urn:1234"/>', 'XML_LIMIT', /XML_MAX_ATTRIBUTE_LENGTH/, limits); // a namespace URI is a value too
  });

  it('namespace declarations: per element and in the whole document', () => {
    const decls = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `xmlns:p${from + i}="urn:${from + i}"`).join(' ');
    assert.equal(readXml(`<r ${decls(3)}/>`, { maxNsDecls: 3 }).decls!.length, 3);
    refusedWith(`<r ${decls(4)}/>`, 'XML_LIMIT', 'namespace declarations on one element exceeds XML_MAX_NS_DECLS (3)', { maxNsDecls: 3 });
    const limits = { maxNsDecls: 3, maxNsDeclsTotal: 7 };
    assert.equal(readXml(`<r ${decls(3)}><a ${decls(3, 3)}/><b xmlns="urn:d"/></r>`, limits).children.length, 2);
    refusedWith(`<r ${decls(3)}><a ${decls(3, 3)}/><b ${decls(2, 6)}/></r>`, 'XML_LIMIT', 'namespace declarations in the document exceeds XML_MAX_NS_DECLS_TOTAL (7)', limits);
  });

  it('refuses a hostile document where the limit is crossed, without reading the rest', () => {
    // Speed is the benchmarks' business; here, where the reader stopped.
    const big = `<r>${'<i/>'.repeat(2_000_000)}</r>`;
    const many = refusedWith(big, 'XML_LIMIT', /XML_MAX_ELEMENTS \(1000000\)/);
    assert.ok(many.offset < big.length / 2 + 8, `stopped at ${many.offset} of ${big.length}`);
    const wide = `<r ${Array.from({ length: 100000 }, (_, i) => `a${i}="1"`).join(' ')}/>`;
    const attrs = refusedWith(wide, 'XML_LIMIT', /XML_MAX_ATTRIBUTES \(256\)/);
    assert.ok(attrs.offset < wide.length / 100, `stopped at ${attrs.offset} of ${wide.length}`);
  });
});

describe('xml/limits: DTD attacks are refused, never expanded', () => {
  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>`;

  it('billion laughs: refused at the DOCTYPE, at once', () => {
    const e = refusedWith(billionLaughs, 'XML_DTD', /DTD/);
    assert.equal(e.offset, billionLaughs.indexOf('<!DOCTYPE'));
  });

  it('external entities (SYSTEM and PUBLIC, file and http) and parameter entities: refused', () => {
    for (const decl of [
      '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
      '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/evil">]><r>&x;</r>',
      '<!DOCTYPE r PUBLIC "-//X//EN" "http://127.0.0.1:9/evil.dtd"><r/>',
      '<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>',
      '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>',
      '<!DOCTYPE r><r/>',
    ]) {
      refusedWith(decl, 'XML_DTD', /DTD/);
    }
  });

  it('an entity used without a DTD is undefined; a DTD inside the root is no markup', () => {
    refusedWith('<r>&xxe;</r>', 'XML_MALFORMED', /undefined entity &xxe;/);
    refusedWith('<r a="&lol9;"/>', 'XML_MALFORMED', /undefined entity/);
    assert.throws(() => readXml('<r><!DOCTYPE r></r>'), (e: unknown) => e instanceof XmlError && (e.code === 'XML_DTD' || e.code === 'XML_MALFORMED'));
  });
});

describe('xml/limits: WSDL and XSD at load', () => {
  it('are read with looser limits than messages', () => {
    for (const k of Object.keys(DEFAULT_READ_LIMITS) as (keyof ReadLimits)[]) {
      if (k === 'names') continue;
      assert.ok(LOAD_READ_LIMITS[k] >= DEFAULT_READ_LIMITS[k], k);
    }
    // Deeper than a message may be, and many namespace declarations: read at load.
    const deep = `<r>\n${chain(1000)}\n</r>`;
    assert.equal(parseSourceXml(deep, 'deep.xsd').children.length, 1);
    const ns = `<r ${Array.from({ length: 500 }, (_, i) => `xmlns:p${i}="urn:${i}"`).join(' ')}/>`;
    assert.equal(parseSourceXml(ns, 'ns.xsd').local, 'r');
  });

  it('refuses a file over a load limit with file:line:col and the limit', () => {
    const src = `<r>\n  ${chain(LOAD_READ_LIMITS.maxDepth + 1)}\n</r>`;
    let caught: unknown;
    try {
      parseSourceXml(src, 'deep.xsd');
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof LoadError);
    assert.equal(caught.message, `refused: element depth exceeds the load limit (${LOAD_READ_LIMITS.maxDepth})`);
    assert.deepEqual({ ...caught.pos }, { file: 'deep.xsd', line: 2, col: 3 + 3 * (LOAD_READ_LIMITS.maxDepth - 1) });
  });

  it('a WSDL with a DTD (billion laughs, external entity) does not load: a diagnostic at the DOCTYPE', () => {
    const tmp = tempDir('limits-load');
    try {
      const file = path.join(tmp.dir, 'evil.wsdl');
      fs.writeFileSync(file, '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">&x;</wsdl:definitions>');
      const diags = new Diagnostics();
      assert.equal(loadDocuments(file, diags), undefined);
      const [d] = diags.errors;
      assert.ok(d, 'an error');
      assert.equal(d.file, file);
      assert.deepEqual([d.line, d.col], [2, 1]);
      assert.match(d.message, /DTD/);
    } finally {
      tmp.remove();
    }
  });
});

describe('json/depth', () => {
  const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);

  it('finds the first bracket deeper than the limit, and nothing at the limit', () => {
    assert.equal(jsonTooDeep(nest(8), 8), -1);
    assert.equal(jsonTooDeep(nest(9), 8), 8);
    assert.equal(jsonTooDeep(`{"a":${nest(7)}}`, 8), -1);
    assert.equal(jsonTooDeep(`{"a":${nest(8)}}`, 8), 12);
    // Siblings do not add up.
    assert.equal(jsonTooDeep(`[${`${nest(7)},`.repeat(50)}1]`, 8), -1);
  });

  it('skips brackets in strings, escaped quotes and backslashes included', () => {
    const s = JSON.stringify({ a: '[[[[[[[[[[{{{{{{{{', b: 'x\\"[[[[[[[[[[', c: '\\', d: [[1]] });
    assert.equal(jsonTooDeep(s, 3), -1);
    assert.equal(jsonTooDeep(s, 2), s.lastIndexOf('[[1') + 1);
  });

  it('names the limit in its message, and stops a deep body at the limit', () => {
    assert.equal(jsonDepthMessage(128, 130), 'JSON nesting depth exceeds JSON_MAX_DEPTH (128) at offset 130');
    const deep = nest(1_000_000);
    assert.equal(jsonTooDeep(deep, 128), 128);
  });
});
