/**
 * XML Schema regular expressions (XSD Part 2, Appendix F) translated to JavaScript regular
 * expressions with the `u` flag. XSD patterns are implicitly anchored, have no `^`/`$`
 * anchors (both are plain characters), and use their own classes (\i, \c, \d as Unicode
 * digits, character class subtraction). What cannot be translated is reported, not guessed.
 */

const NAME_START_RANGES = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_RANGES = `${NAME_START_RANGES}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;

const BLOCKS: Record<string, string> = {
  BasicLatin: '\\u0000-\\u007F',
  'Latin-1Supplement': '\\u0080-\\u00FF',
  'LatinExtended-A': '\\u0100-\\u017F',
  'LatinExtended-B': '\\u0180-\\u024F',
  IPAExtensions: '\\u0250-\\u02AF',
  Greek: '\\u0370-\\u03FF',
  Cyrillic: '\\u0400-\\u04FF',
  Hebrew: '\\u0590-\\u05FF',
  Arabic: '\\u0600-\\u06FF',
  Thai: '\\u0E00-\\u0E7F',
  LatinExtendedAdditional: '\\u1E00-\\u1EFF',
  GeneralPunctuation: '\\u2000-\\u206F',
  CurrencySymbols: '\\u20A0-\\u20CF',
  Hiragana: '\\u3040-\\u309F',
  Katakana: '\\u30A0-\\u30FF',
  CJKUnifiedIdeographs: '\\u4E00-\\u9FFF',
  HangulSyllables: '\\uAC00-\\uD7AF',
};

const SINGLE_ESC = 'nrt\\|.-^?*+{}()[]';

export class XsdRegexError extends Error {}

class Translator {
  private i = 0;
  constructor(private readonly src: string) {}

  translate(): string {
    const out = this.regExp();
    if (this.i < this.src.length) throw new XsdRegexError(`unexpected "${this.src[this.i]}" at ${this.i}`);
    return out;
  }

  private regExp(): string {
    let out = this.branch();
    while (this.src[this.i] === '|') {
      this.i++;
      out += '|' + this.branch();
    }
    return out;
  }

  private branch(): string {
    let out = '';
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      out += this.atom();
      out += this.quantifier();
    }
    return out;
  }

  private quantifier(): string {
    const c = this.src[this.i];
    if (c === '?' || c === '*' || c === '+') {
      this.i++;
      return c;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) throw new XsdRegexError(`malformed quantifier at ${this.i}`);
      this.i += m[0].length;
      return m[0];
    }
    return '';
  }

  private atom(): string {
    const c = this.src[this.i];
    switch (c) {
      case '(': {
        this.i++;
        const inner = this.regExp();
        if (this.src[this.i] !== ')') throw new XsdRegexError('unbalanced parenthesis');
        this.i++;
        return `(?:${inner})`;
      }
      case '[':
        return this.charClass();
      case '.':
        this.i++;
        return '[^\\n\\r]';
      case '\\':
        return this.escape(false);
      case '^':
      case '$':
        this.i++;
        return `\\${c}`;
      case '?':
      case '*':
      case '+':
      case '{':
      case '}':
      case ']':
        throw new XsdRegexError(`"${c}" at ${this.i} must be escaped`);
      default: {
        const cp = this.src.codePointAt(this.i)!;
        const ch = String.fromCodePoint(cp);
        this.i += ch.length;
        return ch === '/' ? '\\/' : ch;
      }
    }
  }

  /** An escape at this.i; inside a class, multi-character classes are written as class content. */
  private escape(inClass: boolean): string {
    const c = this.src[this.i + 1];
    if (c === undefined) throw new XsdRegexError('pattern ends with a backslash');
    this.i += 2;
    if (SINGLE_ESC.includes(c)) {
      if (c === 'n' || c === 'r' || c === 't') return `\\${c}`;
      if (c === '-') return inClass ? '\\-' : '-';
      return `\\${c}`;
    }
    switch (c) {
      case 's':
        return inClass ? ' \\t\\n\\r' : '[ \\t\\n\\r]';
      case 'S':
        if (inClass) throw new XsdRegexError('\\S inside a character class is not supported');
        return '[^ \\t\\n\\r]';
      case 'd':
        return '\\p{Nd}';
      case 'D':
        return '\\P{Nd}';
      case 'w':
        return inClass ? '\\p{L}\\p{M}\\p{N}\\p{S}' : '[\\p{L}\\p{M}\\p{N}\\p{S}]';
      case 'W':
        return inClass ? '\\p{P}\\p{Z}\\p{C}' : '[\\p{P}\\p{Z}\\p{C}]';
      case 'i':
        return inClass ? NAME_START_RANGES : `[${NAME_START_RANGES}]`;
      case 'c':
        return inClass ? NAME_RANGES : `[${NAME_RANGES}]`;
      case 'I':
      case 'C':
        if (inClass) throw new XsdRegexError(`\\${c} inside a character class is not supported`);
        return `[^${c === 'I' ? NAME_START_RANGES : NAME_RANGES}]`;
      case 'p':
      case 'P': {
        const m = /^\{([A-Za-z0-9-]+)\}/.exec(this.src.slice(this.i));
        if (!m) throw new XsdRegexError(`malformed \\${c}{...}`);
        this.i += m[0].length;
        const name = m[1];
        if (name.startsWith('Is')) {
          const range = BLOCKS[name.slice(2)];
          if (!range) throw new XsdRegexError(`Unicode block ${name} is not supported`);
          if (c === 'P') {
            if (inClass) throw new XsdRegexError(`\\P{${name}} inside a character class is not supported`);
            return `[^${range}]`;
          }
          return inClass ? range : `[${range}]`;
        }
        return `\\${c}{${name}}`;
      }
      default:
        throw new XsdRegexError(`unknown escape \\${c}`);
    }
  }

  /** '[' ... ']' with optional negation and subtraction ('-[' ... ']'). */
  private charClass(): string {
    this.i++; // '['
    let negated = false;
    if (this.src[this.i] === '^') {
      negated = true;
      this.i++;
    }
    let body = '';
    let first = true;
    let subtract: string | undefined;
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (c === ']' && !first) break;
      if (c === '-' && this.src[this.i + 1] === '[') {
        this.i++;
        subtract = this.charClass();
        if (this.src[this.i] !== ']') throw new XsdRegexError('a subtraction must end its character class');
        break;
      }
      if (c === '\\') body += this.escape(true);
      else if (c === '[') throw new XsdRegexError(`"[" at ${this.i} must be escaped`);
      else if (c === '-') {
        // Literal only at the start or end of the group.
        const atEnd = this.src[this.i + 1] === ']';
        if (!first && !atEnd) body += '-';
        else body += '\\-';
        this.i++;
      } else if (c === '^' || c === ']') {
        body += `\\${c}`;
        this.i++;
      } else {
        const ch = String.fromCodePoint(this.src.codePointAt(this.i)!);
        body += ch;
        this.i += ch.length;
      }
      first = false;
    }
    if (this.src[this.i] !== ']') throw new XsdRegexError('unterminated character class');
    this.i++;
    const cls = `[${negated ? '^' : ''}${body}]`;
    return subtract ? `(?:(?!${subtract})${cls})` : cls;
  }
}

/** The anchored JavaScript source for an XSD pattern; throws XsdRegexError when it cannot be translated. */
export function xsdPatternToJs(pattern: string): string {
  const source = `^(?:${new Translator(pattern).translate()})$`;
  try {
    new RegExp(source, 'u');
  } catch (e) {
    throw new XsdRegexError(`translated pattern is not valid: ${(e as Error).message}`);
  }
  return source;
}
