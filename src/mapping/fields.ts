/**
 * Field paths and sources of mapping rules, and the few operations on JSON trees that rules
 * need. A path is written `a.b.c` or, where a name holds a dot, as a JSON Pointer `/a/b.c/d`.
 * A source names where a value comes from: `body` (the message being shaped) and a path in it,
 * or a request's `path.<param>`, `query.<param>` or `header.<name>`.
 */

export type FieldPath = string[];

export type ParamPlace = 'path' | 'query' | 'header';

export type Source = { kind: 'body'; path: FieldPath } | { kind: ParamPlace; name: string };

export class FieldSyntaxError extends Error {}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function parseFieldPath(text: string): FieldPath {
  if (text === '') throw new FieldSyntaxError('a field path cannot be empty');
  const parts = text.startsWith('/') ? text.slice(1).split('/').map(unescapePointer) : text.split('.');
  if (parts.some((p) => p === '')) throw new FieldSyntaxError(`"${text}" has an empty step (write a.b, or /a/b for names with dots)`);
  const bad = parts.find((p) => p === '__proto__' || p === 'constructor' || p === 'prototype');
  if (bad) throw new FieldSyntaxError(`"${bad}" cannot be a field name in a mapping`);
  return parts;
}

export function parseSource(text: string): Source {
  if (text === 'body') return { kind: 'body', path: [] };
  if (text.startsWith('body.')) return { kind: 'body', path: parseFieldPath(text.slice(5)) };
  if (text.startsWith('body/')) return { kind: 'body', path: parseFieldPath(text.slice(4)) };
  const dot = text.indexOf('.');
  const place = dot > 0 ? text.slice(0, dot) : '';
  const name = text.slice(dot + 1);
  if ((place === 'path' || place === 'query' || place === 'header') && name !== '') {
    return { kind: place, name: place === 'header' ? name.toLowerCase() : name };
  }
  throw new FieldSyntaxError(`"${text}" is not a source: write body.<field>, path.<param>, query.<param> or header.<name>`);
}

export function formatSource(s: Source): string {
  return s.kind === 'body' ? (s.path.length ? `body.${s.path.join('.')}` : 'body') : `${s.kind}.${s.name}`;
}

/** `/a/b~1c` for ['a', 'b/c']. */
export function pointerOf(path: FieldPath): string {
  return path.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getAt(doc: unknown, path: FieldPath): unknown {
  let cur = doc;
  for (const step of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, step)) return undefined;
    cur = cur[step];
  }
  return cur;
}

export function deleteAt(doc: unknown, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = getAt(doc, path.slice(0, -1));
  if (isObject(parent)) delete parent[path[path.length - 1]];
}

/**
 * Puts `value` at `path`, creating objects on the way; a step through a non-object replaces it.
 * Returns the (possibly new) root: setting the empty path replaces the whole document.
 */
export function setAt(doc: unknown, path: FieldPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const root: Record<string, unknown> = isObject(doc) ? doc : {};
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i]];
    if (isObject(next)) cur = next;
    else {
      const fresh: Record<string, unknown> = {};
      cur[path[i]] = fresh;
      cur = fresh;
    }
  }
  cur[path[path.length - 1]] = value;
  return root;
}

export function startsWith(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}
