/**
 * A string that a regular expression matches, chosen deterministically. Reads the JavaScript
 * (`u` flag) sources the schemas carry: XSD patterns as compile/xsd-regex.ts translates them
 * and the built-in types' patterns. Character classes are never interpreted here: a class (or
 * `\p{..}`, `\d`, a subtraction written as `(?!X)[..]`) is kept as source and the first
 * preferred character it matches is found by asking RegExp itself, so whatever the engine
 * accepts is handled the same way the validators will see it.
 */

type Node =
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'char'; source: string }
  | { kind: 'literal'; text: string };

export class RegexSampleError extends Error {}

const EMPTY: Node = { kind: 'seq', items: [] };

/** Recursive-descent reader of a regex source into the nodes above. */
class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const n = this.alternation();
    if (this.i < this.src.length) throw new RegexSampleError(`unexpected "${this.src[this.i]}" at ${this.i}`);
    return n;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const start = this.i;
      let atom = this.atom();
      // A negative lookahead before a one-character atom is a class subtraction: test them together.
      if (atom === LOOKAHEAD && this.i < this.src.length && !'|)'.includes(this.src[this.i]) && !'?*+{'.includes(this.src[this.i])) {
        const next = this.i;
        const follow = this.atom();
        if (follow === LOOKAHEAD) this.i = next; // read again on the next turn, as the one that counts
        else atom = follow.kind === 'char' || follow.kind === 'literal' ? { kind: 'char', source: this.src.slice(start, this.i) } : follow;
      }
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0] : { kind: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const c = this.src[this.i];
    let min: number;
    let max: number;
    if (c === '?' || c === '*' || c === '+') {
      this.i++;
      [min, max] = c === '?' ? [0, 1] : c === '*' ? [0, Infinity] : [1, Infinity];
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal '{' outside u-mode; u-mode sources never get here
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    } else return atom;
    if (this.src[this.i] === '?') this.i++; // lazy: same language
    return { kind: 'repeat', node: atom, min, max };
  }

  private atom(): Node {
    const c = this.src[this.i];
    if (c === '^' || c === '$') {
      this.i++;
      return EMPTY;
    }
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape();
    if (c === '.') {
      this.i++;
      return { kind: 'char', source: '.' };
    }
    const cp = this.src.codePointAt(this.i)!;
    const ch = String.fromCodePoint(cp);
    this.i += ch.length;
    return { kind: 'literal', text: ch };
  }

  private group(): Node {
    const rest = this.src.slice(this.i, this.i + 4);
    let lookaround = false;
    if (rest.startsWith('(?:')) this.i += 3;
    else if (rest.startsWith('(?=') || rest.startsWith('(?!')) {
      this.i += 3;
      lookaround = true;
    } else if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
      this.i += 4;
      lookaround = true;
    } else if (rest.startsWith('(?<')) {
      const end = this.src.indexOf('>', this.i);
      if (end < 0) throw new RegexSampleError('unterminated group name');
      this.i = end + 1;
    } else this.i += 1;
    const inner = this.alternation();
    if (this.src[this.i] !== ')') throw new RegexSampleError('unbalanced parenthesis');
    this.i++;
    return lookaround ? LOOKAHEAD : inner;
  }

  private charClass(): Node {
    const start = this.i;
    this.i++;
    if (this.src[this.i] === '^') this.i++;
    if (this.src[this.i] === ']') this.i++; // `[]]` is not u-mode, but `[^]]` never reaches here either
    while (this.i < this.src.length && this.src[this.i] !== ']') this.i += this.src[this.i] === '\\' ? 2 : 1;
    if (this.src[this.i] !== ']') throw new RegexSampleError('unterminated character class');
    this.i++;
    return { kind: 'char', source: this.src.slice(start, this.i) };
  }

  private escape(): Node {
    const start = this.i;
    const c = this.src[this.i + 1];
    if (c === undefined) throw new RegexSampleError('pattern ends with a backslash');
    this.i += 2;
    if ('dDwWsS'.includes(c)) return { kind: 'char', source: this.src.slice(start, this.i) };
    if (c === 'p' || c === 'P') {
      const end = this.src.indexOf('}', this.i);
      if (this.src[this.i] !== '{' || end < 0) throw new RegexSampleError(`malformed \\${c}{...}`);
      this.i = end + 1;
      return { kind: 'char', source: this.src.slice(start, this.i) };
    }
    if (c === 'b' || c === 'B') return EMPTY;
    if (c === 'u' || c === 'x') return { kind: 'literal', text: this.codeEscape(c) };
    const controls: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };
    if (controls[c] !== undefined) return { kind: 'literal', text: controls[c] };
    if (c === 'c') {
      const letter = this.src[this.i++] ?? 'A';
      return { kind: 'literal', text: String.fromCharCode(letter.charCodeAt(0) % 32) };
    }
    if (/[1-9k]/.test(c)) throw new RegexSampleError('back references are not supported');
    return { kind: 'literal', text: c };
  }

  private codeEscape(c: string): string {
    const m = c === 'x' ? /^[0-9A-Fa-f]{2}/.exec(this.src.slice(this.i)) : /^(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{4})/.exec(this.src.slice(this.i));
    if (!m) throw new RegexSampleError(`malformed \\${c} escape`);
    this.i += m[0].length;
    return String.fromCodePoint(parseInt(m[0].replace(/[{}]/g, ''), 16));
  }
}

/** Marks a lookaround; only a negative lookahead directly before a one-character atom is honoured. */
const LOOKAHEAD: Node = { kind: 'seq', items: [] };

// Readable characters first, so `[A-Z]{3}` gives "AAA" and `\p{L}` gives "a".
const PREFERRED = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'-_.: /@#$%&*+=!?,;()[]{}<>|~^\'"`\\',
  ...'\t\n\r',
  ...'éßñÀΩЖא中あ한١٣\u00a0\u2028',
  '\u{10000}',
  '\u{1F600}',
];

const charCache = new Map<string, string | null>();

/** The first preferred character the one-character source matches; null when none does. */
function pickChar(source: string): string | null {
  const cached = charCache.get(source);
  if (cached !== undefined) return cached;
  const re = new RegExp(`^(?:${source})$`, 'u');
  let found: string | null = PREFERRED.find((ch) => re.test(ch)) ?? null;
  // Exotic classes (a single script, a private-use range): scan the code points once, skipping surrogates.
  for (let cp = 0x20; found === null && cp <= 0x3ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    if (re.test(ch)) found = ch;
  }
  if (charCache.size > 4096) charCache.clear();
  charCache.set(source, found);
  return found;
}

/** One generation under fixed choices; records the choice points it met, in order. */
class Run {
  readonly repeats: { min: number; max: number }[] = [];
  readonly alts: number[] = [];
  private qi = 0;
  private ai = 0;

  constructor(
    private readonly extras: number[],
    private readonly choices: number[],
  ) {}

  gen(n: Node): string {
    switch (n.kind) {
      case 'literal':
        return n.text;
      case 'char': {
        const ch = pickChar(n.source);
        if (ch === null) throw new RegexSampleError(`no character matches ${n.source}`);
        return ch;
      }
      case 'seq':
        return n.items.map((x) => this.gen(x)).join('');
      case 'alt': {
        const k = this.ai++;
        this.alts[k] = n.options.length;
        return this.gen(n.options[Math.min(this.choices[k] ?? 0, n.options.length - 1)]);
      }
      case 'repeat': {
        const k = this.qi++;
        this.repeats[k] = { min: n.min, max: n.max };
        const count = Math.min(n.max, n.min + (this.extras[k] ?? 0));
        let out = '';
        for (let r = 0; r < count; r++) out += this.gen(n.node);
        return out;
      }
    }
  }
}

export interface RegexSampleOptions {
  minLength?: number;
  maxLength?: number;
  /** Further checks the string must pass (other patterns, a format). */
  accept?: (s: string) => boolean;
  /** Generations tried before giving up. */
  attempts?: number;
}

const astCache = new Map<string, Node>();

function parsed(source: string): Node {
  let n = astCache.get(source);
  if (!n) {
    n = new Parser(source).parse();
    if (astCache.size > 4096) astCache.clear();
    astCache.set(source, n);
  }
  return n;
}

const length = (s: string): number => [...s].length;

/**
 * A string the regex (JavaScript source, `u` flag) matches, with a length in the given bounds
 * and passing `accept`; undefined when none is found within the attempts.
 */
export function sampleRegex(source: string, options: RegexSampleOptions = {}): string | undefined {
  const re = new RegExp(source, 'u');
  const ast = parsed(source);
  const minLength = options.minLength ?? 0;
  const maxLength = options.maxLength ?? Infinity;
  const choices: number[] = [];
  let extras: number[] = [];
  for (let attempt = 0; attempt < (options.attempts ?? 400); attempt++) {
    const run = new Run(extras, choices);
    let s: string;
    try {
      s = run.gen(ast);
    } catch (e) {
      if (!(e instanceof RegexSampleError)) throw e;
      if (!nextChoice(choices, run.alts)) return undefined;
      extras = [];
      continue;
    }
    const len = length(s);
    if (len < minLength) {
      // Too short: one more repetition of the first repeat that has room, then try again.
      const k = run.repeats.findIndex((r, i) => r.min + (extras[i] ?? 0) < r.max);
      if (k >= 0) {
        extras[k] = (extras[k] ?? 0) + 1;
        continue;
      }
    } else if (len <= maxLength && re.test(s) && (!options.accept || options.accept(s))) return s;
    if (!nextChoice(choices, run.alts)) return undefined;
    extras = [];
  }
  return undefined;
}

/** Advances the alternation choices like an odometer (last choice point first); false when all were tried. */
function nextChoice(choices: number[], seen: number[]): boolean {
  for (let k = seen.length - 1; k >= 0; k--) {
    const cur = choices[k] ?? 0;
    if (cur + 1 < seen[k]) {
      choices[k] = cur + 1;
      choices.length = k + 1;
      return true;
    }
    choices[k] = 0;
  }
  return false;
}
