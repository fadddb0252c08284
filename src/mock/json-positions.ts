/**
 * Where each value of a JSON text starts, by JSON Pointer: so that a fixture file's schema
 * violations can be reported as `file:line:col message`. A small recursive-descent scan of
 * text JSON.parse has already accepted; it never decides validity itself.
 */
import { escapePointer } from '../compile/codec';

export interface TextPosition {
  line: number;
  col: number;
}

/** 1-based line and column of an offset (columns count UTF-16 code units). */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let start = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    start = k + 1;
  }
  return { line, col: offset - start + 1 };
}

/** Offsets of every value (and of every property's name, under `pointer + "#key"`) in a valid JSON text. */
export function jsonOffsets(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const from = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(from, i)) as string;
  };
  const value = (pointer: string): void => {
    ws();
    out.set(pointer, i);
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
        const keyAt = i;
        const key = str();
        const p = `${pointer}/${escapePointer(key)}`;
        out.set(`${p}#key`, keyAt);
        ws();
        i++; // ':'
        value(p);
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${pointer}/${n}`);
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  };
  value('');
  return out;
}

/**
 * The position to report for a violation at `pointer`: the value itself, or for a missing
 * property the nearest enclosing value that exists.
 */
export function pointerPosition(text: string, offsets: Map<string, number>, pointer: string): TextPosition {
  let p = pointer;
  for (;;) {
    const at = offsets.get(p);
    if (at !== undefined) return positionAt(text, at);
    if (p === '') return { line: 1, col: 1 };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
