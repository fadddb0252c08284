import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { xsdPatternToJs, XsdRegexError } from '../../src/compile/xsd-regex';

/** The translated pattern as a `u`-flag RegExp, the way Ajv (unicodeRegExp) and the codec use it. */
const re = (pattern: string): RegExp => new RegExp(xsdPatternToJs(pattern), 'u');

/** Asserts the XSD pattern matches every `yes` string (whole) and none of the `no` strings. */
function matches(pattern: string, yes: string[], no: string[]): void {
  const r = re(pattern);
  for (const s of yes) assert.equal(r.test(s), true, `${pattern} should match ${JSON.stringify(s)} (js: ${r.source})`);
  for (const s of no) assert.equal(r.test(s), false, `${pattern} should not match ${JSON.stringify(s)} (js: ${r.source})`);
}

/** Asserts the pattern is refused with an XsdRegexError (not a SyntaxError or anything else). */
function refused(pattern: string): void {
  assert.throws(
    () => xsdPatternToJs(pattern),
    (e: unknown) => {
      assert.ok(e instanceof XsdRegexError, `${JSON.stringify(pattern)} threw ${String(e)}, not an XsdRegexError`);
      assert.ok(e.message.length > 0);
      return true;
    },
    `${JSON.stringify(pattern)} should be refused`,
  );
}

describe('compile/xsd-regex', () => {
  describe('anchoring', () => {
    it('a pattern matches the whole value only', () => {
      matches('abc', ['abc'], ['xabc', 'abcx', 'xabcx', 'ab', '', 'ABC']);
    });

    it('alternatives are anchored as a whole', () => {
      matches('ab|cd', ['ab', 'cd'], ['abx', 'xcd', 'abcd', 'abd', 'a']);
    });

    it('the translation is a valid anchored u-flag source', () => {
      const src = xsdPatternToJs('a|b');
      assert.match(src, /^\^.*\$$/);
      assert.doesNotThrow(() => new RegExp(src, 'u'));
    });

    it('the empty pattern matches only the empty string', () => {
      matches('', [''], ['a', ' ']);
    });
  });

  describe('^ and $ are ordinary characters', () => {
    it('matches them literally', () => {
      matches('^abc$', ['^abc$'], ['abc', '^abc', 'abc$']);
      matches('a$b', ['a$b'], ['ab', 'a']);
      matches('a^b', ['a^b'], ['ab', 'b']);
      matches('\\^', ['^'], ['', '\\^']);
      matches('$', ['$'], ['']);
    });
  });

  describe('. (any character except newline and carriage return)', () => {
    it('matches one character, including astral ones', () => {
      matches('.', ['a', ' ', '\t', 'é', '😀', '٣', '\u2028'], ['\n', '\r', '', 'ab']);
      matches('a.c', ['abc', 'a.c', 'a c'], ['a\nc', 'a\rc', 'ac']);
      matches('.*', ['', 'anything at all'], ['line1\nline2', 'x\r']);
    });

    it('\\. is a literal dot', () => {
      matches('a\\.b', ['a.b'], ['axb', 'a\\.b']);
    });
  });

  describe('multi-character escapes', () => {
    it('\\d is any Unicode decimal digit, \\D its complement', () => {
      matches('\\d', ['0', '9', '٣', '۵', '९', '９'], ['a', '', '²', '½', 'Ⅻ', '12']);
      matches('\\d{3}', ['٣٤٥', '123', '1٢3'], ['12', '1234']);
      matches('\\D', ['a', '²', ' '], ['5', '٣']);
    });

    it('\\s is space, tab, newline and carriage return only; \\S its complement', () => {
      matches('\\s', [' ', '\t', '\n', '\r'], ['a', '\u00A0', '\u2003', '\f', '\v', '']);
      matches('\\S', ['a', '\u00A0', '\u2003', '😀'], [' ', '\t', '\n', '\r']);
      matches('a\\s+b', ['a b', 'a \t\r\nb'], ['ab', 'a\u00A0b']);
    });

    it('\\w is everything but punctuation, separators and other (P, Z, C); \\W those', () => {
      matches('\\w', ['a', 'Z', 'é', 'Ж', '5', '٣', '$', '+', '€', '\u0301', '😀'], ['-', '.', ',', '!', '_', ' ', '\u00A0', '\u0000', '\t', '\u200B']);
      matches('\\W', ['-', '.', '_', ' ', '\u00A0', '\u0000', '\t'], ['a', '5', '$', '+']);
    });

    it('\\i is an XML name start character, \\I its complement', () => {
      matches('\\i', ['a', 'Z', '_', ':', 'é', 'Ж', '中', '\u{10000}'], ['1', '-', '.', '\u00B7', ' ', '@', '$']);
      matches('\\I', ['1', '-', '.', '@', ' '], ['a', '_', ':', 'é', '\u{10000}']);
    });

    it('\\c is an XML name character, \\C its complement', () => {
      matches('\\c', ['a', '_', ':', '1', '-', '.', '\u00B7', '\u0301', '\u203F', '\u{10000}'], [' ', '@', '$', '/', '\u00D7']);
      matches('\\C', [' ', '@', '$', '/'], ['a', '1', '-', '.', '\u{10000}']);
    });

    it('\\i\\c* recognises names', () => {
      matches('\\i\\c*', ['a', '_foo-1.2', 'xs:string', 'été', 'a\u{10400}b'], ['', '1abc', '-a', 'a b', 'a@b']);
      matches('[\\i-[:]][\\c-[:]]*', ['NCName_1'], ['xs:string', ':a']);
    });
  });

  describe('\\p and \\P', () => {
    it('general categories', () => {
      matches('\\p{Lu}', ['A', 'Z', 'Ω', 'Ж', 'É'], ['a', 'ω', '1', '', 'AB']);
      matches('\\p{Ll}+', ['abc', 'ωж'], ['aBc']);
      matches('\\P{L}', ['1', ' ', '-', '٣'], ['a', 'Ж', 'Ω', '中']);
      matches('\\p{N}', ['1', '²', '½', 'Ⅻ'], ['a']);
      matches('\\p{Sc}', ['$', '€', '¥'], ['a', '1']);
      matches('\\p{IsBasicLatin}\\P{Nd}', ['aa', '~-'], ['a1', 'éa']);
    });

    it('Unicode blocks', () => {
      matches('\\p{IsBasicLatin}', ['a', '~', '\u0000', '\u007F'], ['é', '\u0080', 'Ж']);
      matches('\\P{IsBasicLatin}', ['é', '\u0080', 'Ж', '😀'], ['a', '\u007F']);
      matches('\\p{IsGreek}+', ['αβγ', 'Ω'], ['abc']);
      matches('\\p{IsLatin-1Supplement}', ['é', '\u00FF'], ['e']);
      matches('[\\p{IsBasicLatin}\\p{IsCyrillic}]+', ['abcЖ'], ['abcé']);
    });
  });

  describe('character classes', () => {
    it('ranges and lists', () => {
      matches('[a-z]', ['a', 'm', 'z'], ['A', '0', '', 'ab', '-']);
      matches('[a-zA-Z0-9_]+', ['Abc_123'], ['abc-123', '']);
      matches('[abc]', ['a', 'b', 'c'], ['d', 'abc']);
      matches('[😀-😂]', ['😁'], ['😃', 'a']);
    });

    it('negation', () => {
      matches('[^a-z]', ['A', '0', '-', '😀'], ['a', 'z', '']);
      matches('[^abc]+', ['xyz'], ['xaz']);
      matches('[^^]', ['a'], ['^']);
      matches('[^-a]', ['b'], ['-', 'a']);
    });

    it('a literal "-" at the start or end of a class', () => {
      matches('[-a]', ['-', 'a'], ['b']);
      matches('[a-]', ['-', 'a'], ['b']);
      matches('[-]', ['-'], ['a']);
      matches('[-a-c]', ['-', 'b'], ['d']);
      matches('[a-c-]', ['-', 'b'], ['d']);
    });

    it('escapes inside a class', () => {
      matches('[a\\-z]', ['a', '-', 'z'], ['m']); // an escaped '-' is not a range
      matches('[\\[\\]]', ['[', ']'], ['a']);
      matches('[\\^a]', ['^', 'a'], ['b']);
      matches('[\\\\]', ['\\'], ['a']);
      matches('[\\n\\t]', ['\n', '\t'], ['n', 't', ' ']);
      matches('[\\d]', ['5', '٣'], ['a']);
      matches('[\\s]', [' ', '\t'], ['s', '\u00A0']);
      matches('[\\sa]', [' ', 'a'], ['b']);
      matches('[\\w-]', ['a', '-'], [' ', '.']);
      matches('[\\W]', ['.', ' '], ['a']);
      matches('[\\D]', ['a'], ['5']);
      matches('[\\i]', ['a', '_'], ['1']);
      matches('[\\c]', ['1', '-'], [' ']);
      matches('[\\p{Lu}\\d]', ['A', '٣'], ['a']);
      matches('[\\P{L}]', ['1'], ['a']);
      matches('[\\.\\?\\*\\+\\{\\}\\(\\)\\|]+', ['.?*+{}()|'], ['a']);
    });

    it('metacharacters other than \\, [, ] and - are literal in a class', () => {
      matches('[.]', ['.'], ['a']);
      matches('[$^]', ['$', '^'], ['a']);
      matches('[|]', ['|'], ['a']);
      matches('[*+?(){}]', ['*', '+', '?', '(', ')', '{', '}'], ['a']);
      matches('[/]', ['/'], ['a']);
    });
  });

  describe('class subtraction', () => {
    it('[a-z-[aeiou]] matches consonants only', () => {
      matches('[a-z-[aeiou]]', ['b', 'z', 'm'], ['a', 'e', 'u', 'B', '-', '[', '']);
      matches('[a-z-[aeiou]]+', ['bcdfg'], ['bad']);
    });

    it('subtraction with escapes, negation and nesting', () => {
      matches('[\\p{L}-[\\p{Lu}]]', ['a', 'ж'], ['A', 'Ж', '1']);
      matches('[\\d-[0-4]]', ['5', '9', '٣'], ['0', '4']);
      matches('[^a-z-[0-9]]', ['A', '#'], ['5', 'm']);
      matches('[a-z-[a-f-[c]]]', ['c', 'g', 'z'], ['a', 'f']);
    });
  });

  describe('quantifiers', () => {
    it('{n}', () => {
      matches('a{3}', ['aaa'], ['aa', 'aaaa', '']);
      matches('a{0}', [''], ['a']);
      matches('(ab){2}', ['abab'], ['ab', 'ababab', 'aabb']);
    });

    it('{n,}', () => {
      matches('a{2,}', ['aa', 'aaaaaaa'], ['a', '']);
      matches('a{0,}', ['', 'aaaa'], ['b']);
    });

    it('{n,m}', () => {
      matches('a{2,4}', ['aa', 'aaa', 'aaaa'], ['a', 'aaaaa']);
      matches('a{0,1}b', ['b', 'ab'], ['aab']);
      matches('[0-9]{1,3}(\\.[0-9]{1,3}){3}', ['192.168.0.1'], ['192.168.0', '1921.168.0.1', '192x168.0.1']);
    });

    it('?, * and +', () => {
      matches('ab?c', ['ac', 'abc'], ['abbc']);
      matches('ab*c', ['ac', 'abc', 'abbbc'], ['adc']);
      matches('ab+c', ['abc', 'abbbc'], ['ac']);
    });
  });

  describe('alternation and groups', () => {
    it('alternatives inside groups', () => {
      matches('(cat|dog)s?', ['cat', 'cats', 'dog', 'dogs'], ['cow', 'catdog', 's']);
      matches('a(b|c)*d', ['ad', 'abd', 'abcbcd'], ['aed', 'abc']);
      matches('((a|b)(c|d))+', ['ac', 'bdac'], ['ab', 'acb']);
    });

    it('empty alternatives', () => {
      matches('(a|)b', ['ab', 'b'], ['aab']);
      matches('|a', ['', 'a'], ['aa']);
    });

    it('escaped metacharacters are literal', () => {
      matches('\\(\\d+\\)', ['(12)'], ['12']);
      matches('a\\|b', ['a|b'], ['a', 'b']);
      matches('\\{\\}\\[\\]\\*\\+\\?', ['{}[]*+?'], ['']);
      matches('a\\-b', ['a-b'], ['ab']);
      matches('\\\\', ['\\'], ['']);
      matches('a\\nb\\tc\\rd', ['a\nb\tc\rd'], ['anbtcrd']);
    });
  });

  describe('"/" in a pattern', () => {
    it('is a literal slash', () => {
      matches('\\d+/\\d+', ['1/2', '10/365'], ['1-2', '12']);
      matches('https?://[^/]+(/.*)?', ['http://example.com', 'https://example.com/a/b?c=1'], ['ftp://example.com', 'http:/example.com']);
      assert.doesNotThrow(() => new RegExp(xsdPatternToJs('a/b'), 'u'));
    });
  });

  describe('patterns from real WSDLs', () => {
    it('[A-Z]{3}-\\d{3,6}', () => {
      matches('[A-Z]{3}-\\d{3,6}', ['ABC-123', 'XYZ-123456'], ['AB-123', 'ABCD-123', 'ABC-12', 'ABC-1234567', 'abc-123', 'ABC123', ' ABC-123']);
    });

    it('\\d{5}(-\\d{4})?', () => {
      matches('\\d{5}(-\\d{4})?', ['12345', '12345-6789'], ['1234', '123456', '12345-678', '12345-', '123456789', '12345 6789']);
    });

    it('UUID', () => {
      matches(
        '[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}',
        ['123e4567-e89b-12d3-a456-426614174000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'],
        ['123e4567-e89b-12d3-a456', '123e4567e89b12d3a456426614174000', '{123e4567-e89b-12d3-a456-426614174000}', '123e4567-e89b-12d3-a456-42661417400g'],
      );
    });

    it('[^@]+@[^\\.]+\\..+', () => {
      matches('[^@]+@[^\\.]+\\..+', ['a@b.c', 'john.doe@example.co.uk'], ['a@b', '@b.c', 'a@.c', 'a@b.', 'ab.c', 'a@b.c\n']);
    });
  });

  describe('refusals are XsdRegexError', () => {
    it('unknown Unicode block', () => refused('\\p{IsNoSuchBlock}'));
    it('unknown category', () => refused('\\p{Xx}'));
    it('malformed \\p', () => {
      refused('\\p{Lu');
      refused('\\p');
      refused('\\pL');
    });
    it('unterminated class', () => {
      refused('[abc');
      refused('[a-z');
      refused('[');
      refused('[^');
      refused('[a-z-[aeiou]');
      refused('[a-z-[aeiou]x]');
    });
    it('unbalanced parenthesis', () => {
      refused('(abc');
      refused('abc)');
      refused('((a)');
      refused(')');
    });
    it('lone or doubled quantifier', () => {
      refused('*a');
      refused('+');
      refused('?');
      refused('{3}');
      refused('a**');
      refused('a{2}{3}');
      refused('(|*)');
    });
    it('malformed quantifier', () => {
      refused('a{2');
      refused('a{,3}');
      refused('a{x}');
      refused('a{3,2}');
    });
    it('unescaped metacharacters', () => {
      refused(']');
      refused('}');
      refused('a[b[c]]');
    });
    it('bad escapes', () => {
      refused('\\');
      refused('abc\\');
      refused('\\q');
      refused('\\1');
      refused('\\b');
    });
    it('constructs that are XSD but not translated', () => {
      refused('[\\S]');
      refused('[\\I]');
      refused('[\\C]');
      refused('[\\P{IsBasicLatin}]');
    });
    it('XsdRegexError is an Error', () => {
      const e = new XsdRegexError('x');
      assert.ok(e instanceof Error);
      assert.equal(e.message, 'x');
    });
  });
});
