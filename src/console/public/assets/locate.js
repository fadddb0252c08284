// @ts-check
/**
 * Where things are in a JSON text: a small scanner that records, for every value, the JSON
 * Pointer of that value and where it starts (for an object member: where its key starts), so
 * a validation error's pointer can be pinned to the line of its field. It reports the first
 * syntax error with its line and column instead of throwing. Pure: runs in the browser and in
 * Node (test/console/locate.test.ts).
 */

/** @typedef {{ offset: number, line: number, column: number }} Position */
/** @typedef {{ message: string } & Position} SyntaxProblem */
/** @typedef {{ positions: Map<string, Position>, error?: SyntaxProblem }} Scan */

const MAX_DEPTH = 512;

/** @param {string} key */
export function escapePointerToken(key) {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The tokens of a JSON Pointer ("" is the whole document). A pointer that does not start with
 * "/" is read as one path relative to the root ("a/b" as "/a/b"), as some validators write it.
 * @param {string} pointer
 * @returns {string[]}
 */
export function pointerTokens(pointer) {
  if (pointer === '' || pointer === '/') return pointer === '/' ? [''] : [];
  const body = pointer.startsWith('/') ? pointer.slice(1) : pointer;
  return body.split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** @param {string[]} tokens */
function pointerOf(tokens) {
  return tokens.map((t) => '/' + escapePointerToken(t)).join('');
}

/**
 * A function from offset to 1-based line and column.
 * @param {string} text
 */
export function lineIndex(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  /** @param {number} offset @returns {Position} */
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - starts[lo] + 1 };
  };
}

class JsonSyntax extends Error {
  /** @param {string} message @param {number} offset */
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

/**
 * Scans a JSON text. Every value gets its pointer's position (an object member: its key's).
 * @param {string} text
 * @returns {Scan}
 */
export function scanJson(text) {
  const at = lineIndex(text);
  /** @type {Map<string, Position>} */
  const positions = new Map();
  let i = 0;

  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else break;
    }
  };
  /** @param {string} what @returns {never} */
  const fail = (what) => {
    throw new JsonSyntax(i >= text.length ? `unexpected end of the text: ${what}` : `unexpected ${JSON.stringify(text[i])}: ${what}`, Math.min(i, text.length));
  };
  const string = () => {
    // at the opening quote
    const start = i;
    i++;
    let out = '';
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            i += 1;
            fail('\\u needs four hex digits');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        /** @type {Record<string, string>} */
        const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === undefined || !(e in simple)) {
          i += 1;
          fail('not a JSON escape');
        }
        out += simple[/** @type {string} */ (e)];
        i += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail('a control character must be escaped in a string');
      out += c;
      i++;
    }
    i = start;
    throw new JsonSyntax('a string is not closed', start);
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('expected a JSON value');
    i += /** @type {RegExpExecArray} */ (m)[0].length;
  };
  /** @param {string[]} path @param {number} depth @param {number} [keyAt] */
  const value = (path, depth, keyAt) => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    positions.set(pointerOf(path), at(keyAt ?? i));
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name in double quotes');
        const keyStart = i;
        const key = string();
        ws();
        if (text[i] !== ':') fail('expected ":" after a member name');
        i++;
        value([...path, key], depth + 1, keyStart);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail('expected "," or "}" in an object');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value([...path, String(n)], depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail('expected "," or "]" in an array');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    number();
  };

  try {
    value([], 0);
    ws();
    if (i < text.length) fail('only one JSON value is allowed');
    return { positions };
  } catch (e) {
    if (!(e instanceof JsonSyntax)) throw e;
    return { positions, error: { message: e.message, ...at(e.offset) } };
  }
}

/**
 * The position of the field a JSON Pointer names: its own when the text has it, otherwise the
 * nearest ancestor's (a missing required member is pinned to its object), with `exact` false.
 * @param {string} text
 * @param {string} pointer
 * @param {Scan} [scan] a scan of `text` already made
 * @returns {{ line: number, column: number, exact: boolean } | undefined} undefined when the text has no value at all
 */
export function locatePointer(text, pointer, scan = scanJson(text)) {
  const tokens = pointerTokens(pointer);
  for (let n = tokens.length; n >= 0; n--) {
    const hit = scan.positions.get(pointerOf(tokens.slice(0, n)));
    if (hit) return { line: hit.line, column: hit.column, exact: n === tokens.length };
  }
  return undefined;
}
