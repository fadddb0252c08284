/**
 * Writing text taken from a WSDL into mapping.yaml safely. Names and documentation come from
 * files we do not control: a line break in a documentation string would end its comment and
 * turn the rest into YAML, and a name like `@id` or `null` means something else unquoted.
 */
import { Document } from 'yaml';

/** Line breaks YAML 1.2 knows, and those YAML 1.1 readers (and some editors) treat as such. */
const BREAKS = /[\r\n\u0085\u2028\u2029\t\v\f]+/g;
/** C0/C1 controls, the byte-order mark and lone surrogates: invisible or unwritable in a comment. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text made fit for one comment line: breaks become spaces, controls go, long text is cut. */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(BREAKS, ' ').replace(INVISIBLE, '').replace(/ {2,}/g, ' ').trim();
  const chars = Array.from(flat); // code points, so a cut never splits a surrogate pair
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * A string as a YAML scalar on one line: plain where YAML reads it back as the same string,
 * quoted otherwise. The yaml library decides, so its reader and this writer cannot disagree.
 */
export function yamlScalar(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`a scalar written on one line cannot hold a line break: ${JSON.stringify(value)}`);
  return new Document(value).toString({ lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '');
}

/** The field path text of mapping rules: `a.b.c`, or the JSON Pointer form where a name holds a dot. */
export function fieldPathText(path: string[]): string {
  const needsPointer = path.some((p) => p.includes('.') || p.includes('/') || p.includes('~'));
  return needsPointer ? path.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('') : path.join('.');
}

/** The `body.…` source that reads a field of the message. */
export function bodySourceText(path: string[]): string {
  if (path.length === 0) return 'body';
  const text = fieldPathText(path);
  return text.startsWith('/') ? `body${text}` : `body.${text}`;
}

/**
 * Names a rule can be written with: mapping/fields.ts refuses the object-prototype names, and a
 * name with a control character or line break (possible in an rpc part name) cannot sit on one line.
 */
export function mappableName(name: string): boolean {
  if (name === '' || name === '__proto__' || name === 'constructor' || name === 'prototype') return false;
  return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name);
}

/** `key: value` lines padded so their trailing comments line up, within a cap. */
export function alignComments(rows: { text: string; comment?: string }[], prefix: string, cap = 44): string[] {
  const width = Math.min(cap, Math.max(0, ...rows.filter((r) => r.comment).map((r) => r.text.length)));
  return rows.map((r) => (r.comment ? `${prefix}${r.text.padEnd(width)}  # ${r.comment}` : `${prefix}${r.text}`));
}
