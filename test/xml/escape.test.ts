/**
 * Escaping for written XML (src/xml/escape.ts): the exact output of escapeText/escapeAttr,
 * that whatever they write is read back by readXml as the original string, and that
 * characters XML cannot carry are refused with UnwritableCharError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { UnwritableCharError, escapeAttr, escapeText } from '../../src/xml/escape';
import { attrOf, readXml } from '../../src/xml/reader';

/** Strings that are easy to get wrong; every one is a legal XML 1.0 string. */
const TRICKY = [
  '',
  'plain text',
  '<',
  '>',
  '&',
  '<b>bold</b>',
  ']]>',
  ']]]]>>',
  '<![CDATA[x]]>',
  '<!-- not a comment -->',
  '<?pi not a pi?>',
  '&amp;',
  '&lt;&gt;',
  '&#13;',
  '&#x1F600;',
  '&nbsp;',
  '\r\n',
  '\r',
  '\n',
  '\r\r\n\n\r',
  '\t',
  ' \t\r\n ',
  '  leading and trailing  ',
  'é',
  'e\u0301',
  '😀',
  '😀é😀',
  '"',
  "'",
  `"'"'`,
  'say "hi" & \'bye\' <now>',
  '\u007F\u0085\u2028\u2029',
  '\uE000\uFFFD',
  '\u{10000}\u{10FFFF}',
  '\uFEFF',
  'a\r\nb\tc\nd\re"f\'g<h>i&j]]>k😀',
];

const readText = (escaped: string): string => readXml(`<a>${escaped}</a>`).text;
const readAttr = (escaped: string): string | undefined => attrOf(readXml(`<a v="${escaped}"/>`), '', 'v');

function assertUnwritable(fn: (s: string) => string, s: string): void {
  assert.throws(
    () => fn(s),
    (e: unknown) => {
      assert.ok(e instanceof UnwritableCharError, `expected UnwritableCharError, got ${String(e)}`);
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'UnwritableCharError');
      assert.equal(e.value, s, 'the error carries the offending value');
      return true;
    },
    `${fn.name} should refuse ${JSON.stringify(s)}`,
  );
}

describe('xml/escape escapeText', () => {
  it("escapes '<', '&' and '>'", () => {
    assert.equal(escapeText('<'), '&lt;');
    assert.equal(escapeText('&'), '&amp;');
    assert.equal(escapeText('>'), '&gt;');
    assert.equal(escapeText('a < b && c > d'), 'a &lt; b &amp;&amp; c &gt; d');
  });

  it("makes ']]>' safe", () => {
    assert.equal(escapeText(']]>'), ']]&gt;');
    assert.ok(!escapeText('x]]>y]]]]>').includes(']]>'));
  });

  it('escapes CR as &#13; (so it survives line-end normalisation) and keeps LF and tab', () => {
    assert.equal(escapeText('\r'), '&#13;');
    assert.equal(escapeText('a\r\nb'), 'a&#13;\nb');
    assert.equal(escapeText('\t\n'), '\t\n');
  });

  it('leaves quotes alone in text', () => {
    assert.equal(escapeText(`"'`), `"'`);
  });

  it('escapes an already-escaped string again (no double-decoding on read)', () => {
    assert.equal(escapeText('&amp;'), '&amp;amp;');
    assert.equal(escapeText('&#13;'), '&amp;#13;');
  });

  it('returns plain strings, é and astral characters unchanged', () => {
    for (const s of ['', 'hello', 'é', 'e\u0301', '😀', '\u{10FFFF}', 'a b\tc\nd']) assert.equal(escapeText(s), s);
  });
});

describe('xml/escape escapeAttr', () => {
  it("escapes '<', '&', '>' and '\"'", () => {
    assert.equal(escapeAttr('<'), '&lt;');
    assert.equal(escapeAttr('&'), '&amp;');
    assert.equal(escapeAttr('>'), '&gt;');
    assert.equal(escapeAttr('"'), '&quot;');
    assert.equal(escapeAttr('say "<hi>" & go'), 'say &quot;&lt;hi&gt;&quot; &amp; go');
  });

  it("makes ']]>' safe", () => {
    assert.equal(escapeAttr(']]>'), ']]&gt;');
  });

  it('escapes CR, LF and tab as character references (attribute normalisation would make them spaces)', () => {
    assert.equal(escapeAttr('\r'), '&#13;');
    assert.equal(escapeAttr('\n'), '&#10;');
    assert.equal(escapeAttr('\t'), '&#9;');
    assert.equal(escapeAttr('a\r\nb\tc'), 'a&#13;&#10;b&#9;c');
  });

  it("leaves the apostrophe alone (values are written in double quotes)", () => {
    assert.equal(escapeAttr("it's"), "it's");
  });

  it('returns plain strings, spaces, é and astral characters unchanged', () => {
    for (const s of ['', 'hello', '  two  spaces  ', 'é', 'e\u0301', '😀']) assert.equal(escapeAttr(s), s);
  });
});

describe('xml/escape round trip through readXml', () => {
  for (const s of TRICKY) {
    it(`gives back ${JSON.stringify(s)} exactly`, () => {
      assert.equal(readText(escapeText(s)), s, 'as text');
      assert.equal(readAttr(escapeAttr(s)), s, 'as a double-quoted attribute value');
      // Attribute escaping is also safe in text: it only adds references.
      assert.equal(readText(escapeAttr(s)), s, 'attribute escaping read as text');
    });
  }

  it('gives back the exact string for text split around child elements', () => {
    const parts = ['a\r', '\nb', ']]', '>c'];
    const xml = `<a>${parts.map(escapeText).join('<x/>')}</a>`;
    assert.equal(readXml(xml).text, parts.join(''));
  });

  it('round-trips every BMP character that it accepts, and refuses the rest just as readXml does', () => {
    let accepted = 0;
    for (let cp = 0; cp <= 0xffff; cp++) {
      const s = `x${String.fromCharCode(cp)}y`;
      let text: string | undefined;
      try {
        text = escapeText(s);
      } catch (e) {
        assert.ok(e instanceof UnwritableCharError);
        assert.throws(() => escapeAttr(s), UnwritableCharError);
        assert.throws(() => readXml(`<a>${s}</a>`), /not allowed/, `reader must refuse U+${cp.toString(16)} too`);
        continue;
      }
      accepted++;
      assert.equal(readText(text), s, `U+${cp.toString(16)} as text`);
      assert.equal(readAttr(escapeAttr(s)), s, `U+${cp.toString(16)} as attribute`);
    }
    // 0x10000 code units minus C0 controls except tab/LF/CR (29), surrogates (2048), FFFE/FFFF (2).
    assert.equal(accepted, 0x10000 - 29 - 2048 - 2);
  });
});

describe('xml/escape UnwritableCharError', () => {
  const UNWRITABLE = [
    '\u0001',
    'a\u0001b',
    '\u0000',
    '\u0008',
    '\u000B',
    '\u000C',
    '\u001F',
    '\uFFFE',
    '\uFFFF',
    '\uD800',
    '\uDBFF',
    '\uDC00',
    '\uDFFF',
    'a\uD83D',
    '\uDE00b',
    '\uDE00\uD83D',
    '😀\uD83D',
  ];

  for (const s of UNWRITABLE) {
    it(`refuses ${JSON.stringify(s)} in text and attributes`, () => {
      assertUnwritable(escapeText, s);
      assertUnwritable(escapeAttr, s);
    });
  }

  it('accepts a proper surrogate pair and the edges of the allowed ranges', () => {
    for (const s of ['\uD83D\uDE00', '\uD800\uDC00', '\uDBFF\uDFFF', '\u0020', '\uD7FF', '\uE000', '\uFFFD'])
      assert.equal(escapeText(s), s);
  });
});
