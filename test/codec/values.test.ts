import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { BuiltinKind } from '../../src/model/xsd';
import {
  BUILTINS,
  canonicalDecimal,
  compareDecimal,
  decimalDigits,
  decimalToJson,
  integerToJson,
  isValidLexical,
  normalizeWhitespace,
  numberToDecimal,
  numericToText,
} from '../../src/codec/values';

/** Asserts every `valid` literal is accepted and every `invalid` one rejected, naming the culprit. */
function lexical(kind: BuiltinKind, valid: string[], invalid: string[]): void {
  for (const v of valid) assert.equal(isValidLexical(kind, v), true, `${kind} should accept ${JSON.stringify(v)}`);
  for (const v of invalid) assert.equal(isValidLexical(kind, v), false, `${kind} should reject ${JSON.stringify(v)}`);
}

describe('codec/values', () => {
  describe('isValidLexical', () => {
    it('dateTime: with and without time zone, with fractions', () => {
      lexical(
        'dateTime',
        [
          '2024-05-17T08:30:00',
          '2024-05-17T08:30:00Z',
          '2024-05-17T08:30:00+02:00',
          '2024-05-17T08:30:00-05:30',
          '2024-05-17T08:30:00.5',
          '2024-05-17T08:30:00.123456789Z',
          '2024-05-17T08:30:00.000+01:00',
          '2024-12-31T23:59:59.999',
          '0001-01-01T00:00:00',
          '12024-01-01T00:00:00', // more than four year digits
        ],
        [
          '',
          '2024-05-17', // a date is not a dateTime
          '2024-05-17T08:30', // seconds are required
          '2024-05-17 08:30:00', // 'T' is required
          '2024-05-17t08:30:00',
          '2024-05-17T08:30:00z',
          '2024-05-17T08:30:00.', // a '.' needs digits
          '2024-05-17T08:30:00,5',
          '2024-5-17T08:30:00',
          '2024-05-7T08:30:00',
          '24-05-17T08:30:00', // fewer than four year digits
          '2024-05-17T8:30:00',
          '2024-05-17T08:30:00+0200', // offset needs a colon
          '2024-05-17T08:30:00+02',
          ' 2024-05-17T08:30:00',
        ],
      );
    });

    it('dateTime: hours, minutes and seconds in range; 24:00:00 only as end of day', () => {
      lexical(
        'dateTime',
        ['2024-05-17T24:00:00', '2024-05-17T24:00:00Z', '2024-05-17T24:00:00.000', '2024-05-17T23:59:59'],
        [
          '2024-05-17T24:00:01',
          '2024-05-17T24:01:00',
          '2024-05-17T24:00:00.5',
          '2024-05-17T25:00:00',
          '2024-05-17T23:60:00',
          '2024-05-17T23:59:60', // no leap seconds
          '2024-05-17T99:00:00',
        ],
      );
    });

    it('dateTime and date: day of month, Feb 29 in leap and non-leap years (incl. 1900, 2000)', () => {
      lexical(
        'date',
        ['2024-02-29', '2000-02-29', '1600-02-29', '2023-02-28', '1900-02-28', '2024-01-31', '2024-04-30', '2024-12-31'],
        [
          '2023-02-29', // not a leap year
          '1900-02-29', // divisible by 100, not by 400
          '2100-02-29',
          '2024-02-30',
          '2024-04-31',
          '2024-06-31',
          '2024-09-31',
          '2024-11-31',
          '2024-01-32',
          '2024-01-00',
          '2024-13-01', // month 13
          '2024-00-10', // month 0
        ],
      );
      lexical('dateTime', ['2000-02-29T12:00:00Z', '2024-02-29T00:00:00'], ['1900-02-29T12:00:00Z', '2023-02-29T00:00:00', '2024-13-01T00:00:00']);
    });

    it('dateTime, date and time: time-zone offsets up to ±14:00 only', () => {
      lexical(
        'dateTime',
        ['2024-05-17T08:30:00+14:00', '2024-05-17T08:30:00-14:00', '2024-05-17T08:30:00+13:59', '2024-05-17T08:30:00+00:00', '2024-05-17T08:30:00-00:00'],
        ['2024-05-17T08:30:00+14:01', '2024-05-17T08:30:00-14:30', '2024-05-17T08:30:00+15:00', '2024-05-17T08:30:00-99:00', '2024-05-17T08:30:00+05:60'],
      );
      lexical('date', ['2024-05-17+14:00', '2024-05-17Z'], ['2024-05-17+14:01', '2024-05-17-15:00']);
      lexical('time', ['08:30:00+14:00', '08:30:00-14:00'], ['08:30:00+14:01', '08:30:00-15:00']);
    });

    it('dateTime and date: negative years, year 0000 and leading zeros', () => {
      lexical(
        'dateTime',
        ['-0001-01-01T00:00:00', '-0044-03-15T12:00:00Z', '-12345-06-01T00:00:00'],
        [
          '0000-01-01T00:00:00', // XSD 1.0 has no year zero
          '-0000-01-01T00:00:00',
          '02024-01-01T00:00:00', // leading zero beyond four digits
          '--2024-01-01T00:00:00',
          '+2024-01-01T00:00:00',
        ],
      );
      lexical('date', ['-0001-01-01', '-0044-03-15Z', '10000-01-01'], ['0000-01-01', '-0000-01-01', '00999-01-01', '+2024-01-01']);
    });

    it('time', () => {
      lexical(
        'time',
        ['00:00:00', '08:30:00', '23:59:59.999999', '24:00:00', '12:00:00Z', '12:00:00.5-05:00'],
        ['', '24:00:01', '24:30:00', '25:00:00', '12:60:00', '12:00:60', '12:00', '8:30:00', '12:00:00.', '2024-01-01T12:00:00', '12:00:00+15:00'],
      );
    });

    it('duration: every field, sign, fractional seconds; rejects "P", "PT", "P1YT"', () => {
      lexical(
        'duration',
        ['P1Y', 'P1M', 'P1D', 'PT1H', 'PT1M', 'PT1S', 'PT0.5S', 'P1Y2M3DT4H5M6.789S', '-P1D', 'P0D', 'PT0S', 'P1DT12H', 'P100Y', 'PT36H', 'P1YT1S', '-PT1.5S'],
        [
          '',
          'P',
          'PT',
          'P1YT', // a 'T' needs a time field
          '-P',
          '1Y',
          'P1',
          'P-1D',
          'P1.5Y', // only seconds may have fractions
          'PT1.5M',
          'P1D2H', // time fields need 'T'
          'P1H',
          'PT1D',
          'P1M1Y', // fields out of order
          'PT1S1M',
          'P1W', // ISO 8601 weeks are not XSD
          'pt1s',
          '+P1D',
          'P1Y1Y',
        ],
      );
    });

    it('gYear', () => {
      lexical(
        'gYear',
        ['2024', '-0044', '0001', '12024', '2024Z', '2024+14:00', '2024-05:00', '-2024-05:00'],
        ['', '24', '202', '2024-13', '0000', '-0000', '02024', '2024+14:01', '2024+15:00', '+2024', '2024Z+01:00'],
      );
    });

    it('gYearMonth', () => {
      lexical(
        'gYearMonth',
        ['2024-01', '2024-12', '2024-12Z', '2024-05+14:00', '-0044-03', '-0044-03-05:00', '12024-05'],
        ['', '2024', '2024-13', '2024-00', '2024-1', '2024-05-01', '2024-05+14:30', '24-05', '0000-05', '02024-05'],
      );
    });

    it('gMonth', () => {
      lexical('gMonth', ['--01', '--12', '--05Z', '--05+14:00', '--05-05:00', '--05--'], ['', '--00', '--13', '-05', '05', '--5', '--05+15:00', '---05']);
    });

    it('gMonthDay', () => {
      lexical(
        'gMonthDay',
        ['--01-01', '--02-29', '--12-31', '--04-30', '--12-25Z', '--12-25+14:00', '--12-25-05:00'],
        ['', '--02-30', '--04-31', '--13-01', '--00-10', '--01-00', '--01-32', '--1-01', '-01-01', '--12-25+14:01', '--12'],
      );
    });

    it('gDay', () => {
      lexical('gDay', ['---01', '---15', '---31', '---31Z', '---01+14:00', '---01-14:00'], ['', '---00', '---32', '---1', '--01', '---01+14:01', '---001']);
    });

    it('boolean: true, false, 1, 0 only', () => {
      lexical('boolean', ['true', 'false', '1', '0'], ['', 'TRUE', 'True', 'yes', 'no', '01', '2', '-1', ' true', 't']);
    });

    it('float and double: numbers, exponents, INF, -INF, NaN', () => {
      for (const kind of ['float', 'double'] as const) {
        lexical(
          kind,
          ['0', '-0', '1', '+1', '1.5', '-1.5', '1e5', '1E5', '1e-5', '1.5E+10', '-1.5e-10', '.5', '5.', '-.5', '+5.', '.5e3', 'INF', '-INF', 'NaN', '007'],
          ['', '.', 'e5', '1e', '1e+', '1e5.5', '1.2.3', 'inf', 'Infinity', '-Infinity', 'nan', 'NAN', '-NaN', '+NaN', '1 000', '0x10', '1,5', ' 1'],
        );
      }
    });

    it('decimal, integer and int', () => {
      lexical('decimal', ['0', '-0', '+1', '1.50', '.5', '5.', '-.5', '007.500', '123456789012345678901234567890.5'], ['', '.', '-', '1e5', 'INF', 'NaN', '1.2.3', '1,5', '+-1']);
      lexical('integer', ['0', '-0', '+42', '0042', '9223372036854775808'], ['', '1.0', '1.', '.1', '1e3', '+', '- 1']);
      lexical('int', ['0', '-2147483648', '+2147483647'], ['', '1.0', '1e3']);
    });

    it('base64Binary: with padding, without (required) padding, with spaces', () => {
      lexical(
        'base64Binary',
        [
          '',
          'QUJD', // "ABC", no padding needed
          'QQ==', // "A"
          'QUI=', // "AB"
          'aGVsbG8gd29ybGQ=',
          'SGVsbG8sIFdvcmxkIQ==',
          'QU JD', // XSD allows single spaces between characters
          'QUJD REVG',
          'Q Q = =',
          '+/+/',
        ],
        [
          'QQ', // padding cannot be left out
          'QUI',
          'Q',
          'QUJDR',
          '=',
          '====',
          'QQ===',
          'Q===',
          'QQ=A', // '=' only at the end
          'Q=Q=',
          'QU*D',
          'QUJD\n', // must already be collapsed
          'QR==', // non-zero bits after the last octet: before '==' only A, Q, g, w
          'QUJ=', // before '=' only A E I M Q U Y c g k o s w 0 4 8
          ' ',
        ],
      );
    });

    it('hexBinary: pairs of hex digits only', () => {
      lexical('hexBinary', ['', '00', 'ff', 'FF', '0A1b', 'DEADbeef'], ['0', 'ABC', 'FFF', 'GG', '0x0A', '0A 1B', '-0A']);
    });

    it('QName', () => {
      lexical('QName', ['string', 'xs:string', 'tns:Order_1', 'a.b-c', 'été:naïve'], ['', 'a:b:c', ':a', 'a:', '1a', 'xs:1a', 'a b']);
    });

    it('kinds without a lexical rule accept any text', () => {
      for (const kind of ['string', 'anyURI', 'anySimpleType'] as const) {
        assert.equal(isValidLexical(kind, ''), true);
        assert.equal(isValidLexical(kind, '  any <text> & 1e5 '), true);
      }
    });
  });

  describe('BUILTINS', () => {
    it('every built-in string pattern compiles with the u flag and works on typical values', () => {
      for (const [name, info] of Object.entries(BUILTINS)) {
        if (info.pattern) assert.doesNotThrow(() => new RegExp(info.pattern!, 'u'), name);
      }
      const test = (name: string, s: string): boolean => new RegExp(BUILTINS[name].pattern!, 'u').test(s);
      assert.equal(test('NCName', 'order_1-a.b'), true);
      assert.equal(test('NCName', 'a:b'), false);
      assert.equal(test('NCName', '1abc'), false);
      assert.equal(test('Name', 'a:b'), true);
      assert.equal(test('NMTOKEN', '1abc'), true);
      assert.equal(test('language', 'en-US'), true);
      assert.equal(test('language', 'toolonglanguage'), false);
    });

    it('maps the XSD names to kinds and ranges', () => {
      assert.equal(BUILTINS.long.kind, 'integer');
      assert.equal(BUILTINS.long.maxInclusive, '9223372036854775807');
      assert.equal(BUILTINS.unsignedByte.kind, 'int');
      assert.equal(BUILTINS.unsignedByte.maxInclusive, '255');
      assert.equal(BUILTINS.string.whiteSpace, 'preserve');
      assert.equal(BUILTINS.normalizedString.whiteSpace, 'replace');
      assert.equal(BUILTINS.token.whiteSpace, 'collapse');
      assert.equal(BUILTINS.IDREFS.list, true);
    });
  });

  describe('canonicalDecimal', () => {
    const cases: [string, string][] = [
      ['+007.500', '7.5'],
      ['-0.000', '0'],
      ['+0', '0'],
      ['-0', '0'],
      ['0', '0'],
      ['000', '0'],
      ['.5', '0.5'],
      ['-.5', '-0.5'],
      ['5.', '5'],
      ['5.0', '5'],
      ['-00100.0100', '-100.01'],
      ['100', '100'],
      ['123456789012345678901234567890.5000', '123456789012345678901234567890.5'],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(canonicalDecimal(input), expected));
    }
  });

  describe('numberToDecimal', () => {
    it('writes numbers whose String() has an exponent in plain notation', () => {
      assert.equal(String(1e21), '1e+21');
      assert.equal(numberToDecimal(1e21), '1000000000000000000000');
      assert.equal(numberToDecimal(1.5e-7), '0.00000015');
      assert.equal(numberToDecimal(-2e-10), '-0.0000000002');
      assert.equal(numberToDecimal(1.2345e25), '12345000000000000000000000');
      assert.equal(numberToDecimal(-1.5e22), '-15000000000000000000000');
      assert.equal(numberToDecimal(5e-324), `0.${'0'.repeat(323)}5`);
      assert.equal(numberToDecimal(Number.MAX_VALUE), `17976931348623157${'0'.repeat(292)}`);
    });

    it('keeps plain numbers as String() writes them', () => {
      assert.equal(numberToDecimal(0), '0');
      assert.equal(numberToDecimal(-0), '0');
      assert.equal(numberToDecimal(24.5), '24.5');
      assert.equal(numberToDecimal(-123.456), '-123.456');
      assert.equal(numberToDecimal(1e20), '100000000000000000000');
      assert.equal(numberToDecimal(0.000001), '0.000001');
      assert.equal(numberToDecimal(0.1 + 0.2), '0.30000000000000004');
    });

    it('round-trips through Number()', () => {
      for (const n of [1e21, 1.5e-7, -2e-10, 123.456, 1 / 3, -Math.PI * 1e30, 9007199254740991, 2 ** -60, 1.7e-300]) {
        const text = numberToDecimal(n);
        assert.doesNotMatch(text, /e/i, text);
        assert.equal(Number(text), n, text);
      }
    });
  });

  describe('decimalToJson', () => {
    it('gives a JSON number when the value survives a double round trip', () => {
      assert.equal(decimalToJson('24.50'), 24.5);
      assert.equal(decimalToJson('+007.500'), 7.5);
      assert.equal(decimalToJson('0.1'), 0.1);
      assert.equal(decimalToJson('-0.000'), 0);
      assert.equal(decimalToJson('.5'), 0.5);
      assert.equal(decimalToJson('-12.25'), -12.25);
      assert.equal(decimalToJson('9007199254740991'), 9007199254740991);
      assert.equal(decimalToJson('1000000000000000000000'), 1e21);
      assert.equal(decimalToJson('0.00000015'), 1.5e-7);
    });

    it('keeps the canonical text when a double would change the value', () => {
      assert.equal(decimalToJson('123456789012345678901234567890.5'), '123456789012345678901234567890.5');
      assert.equal(decimalToJson('-0123456789012345678901234567890.500'), '-123456789012345678901234567890.5');
      assert.equal(decimalToJson('9007199254740993'), '9007199254740993');
      assert.equal(decimalToJson('0.30000000000000000001'), '0.30000000000000000001');
      assert.equal(decimalToJson('12345678901234567890'), '12345678901234567890');
      assert.equal(decimalToJson('1.00000000000000000000001'), '1.00000000000000000000001');
    });
  });

  describe('integerToJson', () => {
    it('gives a JSON number for safe integers', () => {
      assert.equal(integerToJson('9007199254740991'), 9007199254740991);
      assert.equal(integerToJson('-9007199254740991'), -9007199254740991);
      assert.equal(integerToJson('42'), 42);
      assert.equal(integerToJson('+0042'), 42);
      assert.equal(integerToJson('-17'), -17);
      assert.equal(JSON.stringify(integerToJson('-0')), '0');
    });

    it('keeps the canonical text for integers beyond 2^53 - 1', () => {
      assert.equal(integerToJson('9223372036854775807'), '9223372036854775807');
      assert.equal(integerToJson('-9223372036854775808'), '-9223372036854775808');
      assert.equal(integerToJson('18446744073709551615'), '18446744073709551615');
      assert.equal(integerToJson('9007199254740992'), '9007199254740992');
      assert.equal(integerToJson('9007199254740993'), '9007199254740993');
      assert.equal(integerToJson('+009223372036854775807'), '9223372036854775807');
    });
  });

  describe('compareDecimal', () => {
    // `|| 0`: equal negative values give -0, which is zero by the contract (callers use < and <=).
    const sign = (a: string, b: string): number => Math.sign(compareDecimal(a, b)) || 0;
    it('compares equal values written differently as equal', () => {
      assert.equal(sign('1.10', '1.1'), 0);
      assert.equal(sign('+007', '7'), 0);
      assert.equal(sign('-0', '+0.000'), 0);
      assert.equal(sign('.5', '0.50'), 0);
      assert.equal(sign('-123456789012345678901234567890.5', '-123456789012345678901234567890.50'), 0);
    });

    it('orders by sign', () => {
      assert.equal(sign('-1', '1'), -1);
      assert.equal(sign('1', '-1'), 1);
      assert.equal(sign('-0.0001', '0'), -1);
      assert.equal(sign('0', '-0.0001'), 1);
      assert.equal(sign('-1000', '1'), -1);
    });

    it('orders integer parts of different lengths by value, not as text', () => {
      assert.equal(sign('10', '9'), 1);
      assert.equal(sign('9', '10'), -1);
      assert.equal(sign('100', '99.999'), 1);
      assert.equal(sign('-10', '-9'), -1);
      assert.equal(sign('-9', '-10'), 1);
      assert.equal(sign('9223372036854775808', '9223372036854775807'), 1);
      assert.equal(sign('-9223372036854775809', '-9223372036854775808'), -1);
      assert.equal(sign('18446744073709551615', '9223372036854775807'), 1);
    });

    it('orders fractions of different lengths', () => {
      assert.equal(sign('0.5', '0.45'), 1);
      assert.equal(sign('0.45', '0.5'), -1);
      assert.equal(sign('1.5', '1'), 1);
      assert.equal(sign('1', '1.0001'), -1);
      assert.equal(sign('-0.5', '-0.45'), -1);
      assert.equal(sign('-1.5', '-1'), -1);
      assert.equal(sign('0.1', '0.09999999999999999999999'), 1);
    });
  });

  describe('decimalDigits (XSD Part 2 §4.3.11 totalDigits, §4.3.12 fractionDigits)', () => {
    // v is facet-valid for totalDigits t iff v = i / 10^n with |i| < 10^t and 0 <= n <= t, and for
    // fractionDigits f iff n <= f: the smallest such t and f are what decimalDigits reports.
    const cases: [string, number, number][] = [
      ['0', 1, 0],
      ['-0.000', 1, 0],
      ['7', 1, 0],
      ['100', 3, 0],
      ['123.456', 6, 3],
      ['-123.456', 6, 3],
      ['+007.500', 2, 1], // = 75 / 10^1
      ['1.50', 2, 1], // facets apply to the value: trailing fraction zeros do not count
      ['0.5', 1, 1],
      ['.5', 1, 1],
      ['0.0012', 4, 4], // = 12 / 10^4: n = 4 forces t >= 4, so totalDigits 2 or 3 must reject it
      ['-0.0000000002', 10, 10],
      ['123456789012345678901234567890.5', 31, 1],
    ];
    for (const [input, total, fraction] of cases) {
      it(`${JSON.stringify(input)} has total ${total}, fraction ${fraction}`, () => assert.deepEqual(decimalDigits(input), { total, fraction }));
    }
  });

  describe('normalizeWhitespace', () => {
    it('preserve keeps the text as is', () => {
      const s = ' \t a \r\n b  \u00A0';
      assert.equal(normalizeWhitespace(s, 'preserve'), s);
    });

    it('replace turns each tab, newline and carriage return into one space', () => {
      assert.equal(normalizeWhitespace('a\tb\nc\rd', 'replace'), 'a b c d');
      assert.equal(normalizeWhitespace('\r\n a  b \t', 'replace'), '   a  b  ');
      assert.equal(normalizeWhitespace('plain', 'replace'), 'plain');
      assert.equal(normalizeWhitespace('a\u00A0b', 'replace'), 'a\u00A0b');
    });

    it('collapse also folds runs of spaces and trims leading and trailing spaces', () => {
      assert.equal(normalizeWhitespace('  a   b  ', 'collapse'), 'a b');
      assert.equal(normalizeWhitespace('\t\na\r\n\r\nb\t', 'collapse'), 'a b');
      assert.equal(normalizeWhitespace(' ', 'collapse'), '');
      assert.equal(normalizeWhitespace(' \t\r\n ', 'collapse'), '');
      assert.equal(normalizeWhitespace('', 'collapse'), '');
      assert.equal(normalizeWhitespace('a b', 'collapse'), 'a b');
      assert.equal(normalizeWhitespace(' 42', 'collapse'), '42');
      assert.equal(normalizeWhitespace('42 ', 'collapse'), '42');
    });

    it('collapse touches only #x20, #x9, #xA and #xD, not other Unicode spaces', () => {
      assert.equal(normalizeWhitespace('\u00A0a\u00A0', 'collapse'), '\u00A0a\u00A0');
      assert.equal(normalizeWhitespace(' \u00A0 a ', 'collapse'), '\u00A0 a');
      assert.equal(normalizeWhitespace('\u3000x\u2003', 'collapse'), '\u3000x\u2003');
      assert.equal(normalizeWhitespace('\uFEFFx', 'collapse'), '\uFEFFx');
      assert.equal(normalizeWhitespace('a\u00A0\u00A0b', 'collapse'), 'a\u00A0\u00A0b');
    });
  });

  describe('numericToText', () => {
    it('writes decimals and integers without an exponent, floats and doubles as JavaScript does', () => {
      assert.equal(numericToText('decimal', 1e21), '1000000000000000000000');
      assert.equal(numericToText('integer', 1e21), '1000000000000000000000');
      assert.equal(numericToText('int', -0), '0');
      assert.equal(numericToText('decimal', 1.5e-7), '0.00000015');
      assert.equal(numericToText('double', 1e21), '1e+21');
      assert.equal(numericToText('float', 0.5), '0.5');
      assert.equal(numericToText('integer', '9223372036854775807'), '9223372036854775807');
    });
  });
});
