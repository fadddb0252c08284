import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { BUILTINS } from '../../src/codec/values';
import { xsdPatternToJs } from '../../src/compile/xsd-regex';
import { RegexSampleError, sampleRegex } from '../../src/sample/regex';

/** Samples the translated XSD pattern and checks the sample against the same RegExp the validators use. */
function sampled(xsd: string, options: Parameters<typeof sampleRegex>[1] = {}): string {
  const js = xsdPatternToJs(xsd);
  const s = sampleRegex(js, options);
  assert.ok(s !== undefined, `no sample for ${xsd} (js: ${js})`);
  assert.ok(new RegExp(js, 'u').test(s), `${JSON.stringify(s)} does not match ${xsd}`);
  return s;
}

describe('sample/regex', () => {
  it('samples real-world XSD patterns with strings the translated pattern matches', () => {
    const patterns = [
      '\\d{5}(-\\d{4})?',
      '[A-Z]{2}\\d{2}[A-Z0-9]{1,30}',
      '[a-z-[aeiou]]+',
      '\\i\\c*',
      '(\\+|-)?\\d+(\\.\\d+)?',
      '[\\p{L}\\s]+',
      '\\p{IsBasicLatin}+',
      '.{3,5}',
      '[^<>&]*',
      'P(\\d+Y)?(\\d+M)?(\\d+D)?',
      '([01]\\d|2[0-3]):[0-5]\\d',
      '[\\-+]?[0-9]+',
      '\\p{Lu}\\p{Ll}+',
      '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
      '\\S+@\\S+',
      '(ab|cd){2,3}x?',
      'a\\^\\.\\?$',
    ];
    for (const p of patterns) sampled(p);
  });

  it('reads the patterns of the XSD built-in string types', () => {
    for (const [name, info] of Object.entries(BUILTINS)) {
      if (!info.pattern) continue;
      const s = sampleRegex(info.pattern);
      assert.ok(s !== undefined && new RegExp(info.pattern, 'u').test(s), `built-in ${name}: ${String(s)}`);
    }
  });

  it('is deterministic and prefers readable characters', () => {
    assert.equal(sampled('[A-Z]{3}'), 'AAA');
    assert.equal(sampled('\\d{4}'), '0000');
    assert.equal(sampled('[a-z-[a-c]]'), 'd');
    assert.equal(sampleRegex('^(?:\\p{L}+)$'), 'a');
    assert.equal(sampled('[A-Z]{2}\\d{2}'), sampled('[A-Z]{2}\\d{2}'));
  });

  it('repeats to reach a minimum length and picks another alternative to stay under a maximum', () => {
    assert.equal(sampled('[a-z]+', { minLength: 5 }), 'aaaaa');
    assert.equal(sampled('x[0-9]*y', { minLength: 6 }), 'x0000y');
    assert.equal(sampled('abcdef|xy', { maxLength: 3 }), 'xy');
  });

  it('applies the accept check, trying other alternatives', () => {
    assert.equal(sampled('red|green|blue', { accept: (s) => s.startsWith('b') }), 'blue');
  });

  it('answers undefined when nothing fits, and refuses what it cannot read', () => {
    assert.equal(sampleRegex('^[a-z]{2}$', { minLength: 3 }), undefined);
    assert.equal(sampleRegex('^(?:a|b)$', { accept: () => false }), undefined);
    assert.equal(sampleRegex('^[^\\s\\S]$'), undefined);
    assert.throws(() => sampleRegex('^(a)\\1$'), RegexSampleError);
  });

  it('finds characters of classes with no preferred member (a script, astral ranges)', () => {
    const s = sampled('\\p{IsHiragana}{2}');
    assert.equal([...s].length, 2);
    const astral = sampleRegex('^[\\u{1D400}-\\u{1D433}]$');
    assert.ok(astral && /^[\u{1D400}-\u{1D433}]$/u.test(astral));
  });
});
