/**
 * A `request:` or `response:` block of mapping.yaml, compiled at load time into a function that
 * reshapes one message. The same four steps run in every direction:
 *   1. the base is the message (or `{}` when `body: false`), or its `pick` sub-tree;
 *   2. every rule's value is read: a constant, a request parameter, or a field of the message;
 *   3. fields read from the message are removed from the base (a rule moves, it does not copy),
 *      and `drop` paths are removed;
 *   4. each value is put at its target path, creating objects on the way.
 * Where a side's schema is known (the SOAP messages), paths, parameters and constants are checked
 * against it here, at load time, so a request never meets a rule that cannot work.
 */
import type { JsonSchema } from '../model/route';
import type { SourcePos } from '../model/xsd';
import {
  deleteAt,
  FieldSyntaxError,
  formatSource,
  getAt,
  parseFieldPath,
  parseSource,
  pointerOf,
  setAt,
  startsWith,
  type FieldPath,
  type ParamPlace,
  type Source,
} from './fields';
import { didYouMean, formatPath, type FieldValue, type MappingPath, type TransformSpec, type Where } from './index';
import type { FieldInfo, SchemaView } from './schema-view';

/** A request's parameters, as the HTTP layer found them. */
export interface RequestParts {
  path: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}

/** Where a violation of the produced message came from, on the caller's side. */
export type Origin = { pointer: string } | { in: ParamPlace; parameter: string };

export interface Rule {
  target: FieldPath;
  source?: Source;
  constant?: unknown;
  fallback?: unknown;
  /** Turns a parameter's text into the JSON value the target's type wants. */
  coerce?: (raw: string[]) => unknown;
}

export interface Transform {
  /** True when the transform changes nothing (no pick, rules or drops, body kept). */
  readonly identity: boolean;
  readonly keepBody: boolean;
  readonly pick?: FieldPath;
  readonly rules: readonly Rule[];
  readonly drop: readonly FieldPath[];
  readonly bodySources: boolean;
  readonly params: { in: ParamPlace; name: string }[];
  apply(body: unknown, parts?: RequestParts): unknown;
  /** Maps a pointer into the produced message back to where its value came from. */
  origin(pointer: string): Origin;
}

export interface TransformContext {
  /** Position lookup in the mapping file and the path of this block. */
  where: Where;
  at: MappingPath;
  report: { error(pos: SourcePos, message: string): void };
  view: SchemaView;
  /** Schema of the message read (`body.` sources, `pick`, `drop`); undefined when unknown. */
  inSchema?: JsonSchema;
  /** Schema of the message produced (targets, constants); undefined when unknown. */
  outSchema?: JsonSchema;
  /** Which parameter places sources may name; path parameters only those of the route. */
  params?: { places: ParamPlace[]; pathNames: string[] };
  defaultBody: boolean;
  /** Checks a value against a schema; returns the problems. */
  check(schema: JsonSchema, value: unknown): string[];
  /** Label for messages: "request" / "response". */
  label: string;
  /** How messages name the two sides, e.g. "Add's SOAP input". */
  inName?: string;
  outName?: string;
}

const NUMERIC = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Text of a URL or header parameter -> the JSON value a field of this schema takes. */
function coercer(view: SchemaView, field: FieldInfo): (raw: string[]) => unknown {
  const isList = view.kind(field.schema) === 'array';
  const itemSchema = isList ? ((view.resolve(field.schema).items ?? {}) as JsonSchema) : field.schema;
  const types = view.types(itemSchema);
  const one = (s: string): unknown => {
    if (types.includes('boolean') && (s === 'true' || s === 'false')) return s === 'true';
    if ((types.includes('integer') || types.includes('number')) && !types.includes('string') && NUMERIC.test(s.trim())) return Number(s);
    return s;
  };
  return isList ? (raw) => raw.map(one) : (raw) => one(raw[0]);
}

function paramValues(parts: RequestParts, place: ParamPlace, name: string): string[] | undefined {
  if (place === 'path') return parts.path[name] === undefined ? undefined : [parts.path[name]];
  if (place === 'query') {
    const all = parts.query.getAll(name);
    return all.length ? all : undefined;
  }
  const h = parts.headers[name];
  if (h === undefined) return undefined;
  return Array.isArray(h) ? h : [h];
}

function clone(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? structuredClone(v) : v;
}

/** Compiles one block; problems are reported at their YAML position and the rule is left out. */
export function compileTransform(spec: TransformSpec | undefined, ctx: TransformContext): Transform {
  const s = spec ?? {};
  const keepBody = s.body ?? ctx.defaultBody;
  const fail = (path: MappingPath, message: string, key = false): void => ctx.report.error(ctx.where([...ctx.at, ...path], key), message);
  const parse = <T>(path: MappingPath, fn: () => T, key = false): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FieldSyntaxError) {
        fail(path, `${formatPath([...ctx.at, ...path])}: ${e.message}`, key);
        return undefined;
      }
      throw e;
    }
  };
  const lookupIn = (root: JsonSchema | undefined, path: FieldPath, at: MappingPath, what: string, key = false): FieldInfo | undefined => {
    if (!root) return undefined;
    const found = ctx.view.lookup(root, path, (root === ctx.outSchema ? ctx.outName : ctx.inName) ?? 'the message');
    if (found.ok) return found.field;
    const hint = didYouMean(path[found.depth], found.known);
    fail(at, `${formatPath([...ctx.at, ...at])}: ${what}: ${found.reason}${hint ? ` (did you mean "${hint}"?)` : ''}`, key);
    return undefined;
  };

  const pick = s.pick === undefined ? undefined : parse(['pick'], () => parseFieldPath(s.pick!));
  const pickInfo = pick ? lookupIn(ctx.inSchema, pick, ['pick'], 'cannot pick') : undefined;
  const baseSchema = pick ? pickInfo?.schema : ctx.inSchema;

  const rules: Rule[] = [];
  // Targets of every rule that names an existing field, valid or not: a rule that failed its
  // own check has been reported, and must not also make its field look unfilled.
  const attempted: FieldPath[] = [];
  if (s.value !== undefined) {
    attempted.push([]);
    const rule = compileRule(s.value, [], ctx.outSchema ? { schema: ctx.outSchema, required: true, inChoice: false } : undefined, ['value'], ctx, fail, parse, lookupIn);
    if (rule) rules.push(rule);
  }
  for (const [targetText, value] of Object.entries(s.fields ?? {})) {
    const at: MappingPath = ['fields', targetText];
    const target = parse(at, () => parseFieldPath(targetText), true);
    if (!target) continue;
    const targetInfo = lookupIn(ctx.outSchema, target, at, 'no such target', true);
    if (ctx.outSchema && !targetInfo) continue;
    attempted.push(target);
    const rule = compileRule(value, target, targetInfo, at, ctx, fail, parse, lookupIn);
    if (rule) rules.push(rule);
  }
  if (pick && rules.length && baseSchema && ctx.view.kind(baseSchema) !== 'object' && ctx.view.kind(baseSchema) !== 'any') {
    fail(['pick'], `${formatPath([...ctx.at, 'pick'])}: ${pick.join('.')} is not an object, so \`fields\` cannot add to it`);
  }
  const drop: FieldPath[] = [];
  (s.drop ?? []).forEach((text, i) => {
    const path = parse(['drop', i], () => parseFieldPath(text));
    if (!path) return;
    if (baseSchema) lookupIn(baseSchema, path, ['drop', i], 'nothing to drop');
    drop.push(path);
  });
  if (ctx.outSchema && !keepBody) checkFilled(ctx, attempted);

  const params = rules.flatMap((r) => (r.source && r.source.kind !== 'body' ? [{ in: r.source.kind, name: r.source.name }] : []));
  for (const name of ctx.params?.pathNames ?? []) {
    if (!params.some((p) => p.in === 'path' && p.name === name)) {
      fail(['fields'], `${formatPath([...ctx.at])}: the route's path parameter {${name}} lands nowhere: add a field with \`path.${name}\` as its source`, true);
    }
  }
  return buildTransform(keepBody, pick, rules, drop, params);
}

function compileRule(
  value: FieldValue,
  target: FieldPath,
  targetInfo: FieldInfo | undefined,
  at: MappingPath,
  ctx: TransformContext,
  fail: (path: MappingPath, message: string, key?: boolean) => void,
  parse: <T>(path: MappingPath, fn: () => T, key?: boolean) => T | undefined,
  lookupIn: (root: JsonSchema | undefined, path: FieldPath, at: MappingPath, what: string, key?: boolean) => FieldInfo | undefined,
): Rule | undefined {
  const label = formatPath([...ctx.at, ...at]);
  const spec = typeof value === 'string' ? { from: value } : value;
  const checkConst = (v: unknown, what: string, path: MappingPath): boolean => {
    if (!targetInfo) return true;
    const problems = ctx.check(targetInfo.schema, v);
    if (problems.length) fail(path, `${label}: the ${what} ${JSON.stringify(v)} does not fit ${target.join('.')}: ${problems.join('; ')}`);
    return problems.length === 0;
  };
  if ('const' in spec) {
    return checkConst(spec.const, 'constant', [...at, 'const']) ? { target, constant: spec.const } : undefined;
  }
  const fromPath: MappingPath = typeof value === 'string' ? at : [...at, 'from'];
  const source = parse(fromPath, () => parseSource(spec.from!));
  if (!source) return undefined;
  if ('default' in spec && !checkConst(spec.default, 'default', [...at, 'default'])) return undefined;
  const rule: Rule = { target, source, fallback: spec.default };
  if (source.kind === 'body') {
    lookupIn(ctx.inSchema, source.path, fromPath, 'no such source');
    return rule;
  }
  const allowed = ctx.params?.places ?? [];
  if (!allowed.includes(source.kind)) {
    fail(fromPath, `${label}: ${formatSource(source)} is not available here: ${allowed.length ? `sources are body, ${allowed.map((p) => `${p}.…`).join(', ')}` : 'only body.… sources can be read'}`);
    return undefined;
  }
  if (source.kind === 'path' && !ctx.params!.pathNames.includes(source.name)) {
    const hint = didYouMean(source.name, ctx.params!.pathNames);
    fail(fromPath, `${label}: the route has no path parameter {${source.name}}${hint ? ` (did you mean {${hint}}?)` : ''}`);
    return undefined;
  }
  if (targetInfo) {
    const kind = ctx.view.kind(targetInfo.schema);
    const itemKind = kind === 'array' ? ctx.view.kind((ctx.view.resolve(targetInfo.schema).items ?? {}) as JsonSchema) : kind;
    if (itemKind === 'object') {
      fail(fromPath, `${label}: ${formatSource(source)} is text, but ${target.join('.')} is a structure; map the parameter onto one of its simple fields`);
      return undefined;
    }
    rule.coerce = coercer(ctx.view, targetInfo);
  } else rule.coerce = (raw) => raw[0];
  return rule;
}

/** Required fields of the produced message that no rule fills (when the body is not its base). */
function checkFilled(ctx: TransformContext, targets: FieldPath[]): void {
  const why = ctx.label === 'request' ? ' (the request body is not used, so each required field needs a rule)' : '';
  if (targets.some((t) => t.length === 0)) return;
  const visit = (schema: JsonSchema, prefix: FieldPath): void => {
    if (ctx.view.kind(schema) !== 'object') return;
    const props = ctx.view.properties(schema);
    for (const [name, info] of props) {
      if (!info.required) continue;
      const path = [...prefix, name];
      const whole = targets.some((t) => t.length === path.length && startsWith(t, path));
      const inside = targets.some((t) => t.length > path.length && startsWith(t, path));
      if (whole) continue;
      if (inside) visit(info.schema, path);
      else ctx.report.error(ctx.where([...ctx.at], true), `${formatPath(ctx.at)}: nothing fills ${path.join('.')}, which ${ctx.outName ?? 'the message'} requires${why}`);
    }
    for (const names of ctx.view.requiredChoices(schema)) {
      const filled = names.some((n) => targets.some((t) => startsWith(t, [...prefix, n])));
      if (!filled) ctx.report.error(ctx.where([...ctx.at], true), `${formatPath(ctx.at)}: nothing fills any of ${names.map((n) => [...prefix, n].join('.')).join(', ')}, one of which ${ctx.outName ?? 'the message'} requires (xs:choice)${why}`);
    }
  };
  if (ctx.outSchema) visit(ctx.outSchema, []);
}

/** The transform that hands the message on unchanged (default routes). */
export function identityTransform(): Transform {
  return buildTransform(true, undefined, [], [], []);
}

function buildTransform(keepBody: boolean, pick: FieldPath | undefined, rules: Rule[], drop: FieldPath[], params: { in: ParamPlace; name: string }[]): Transform {
  const identity = keepBody && !pick && rules.length === 0 && drop.length === 0;
  const moved = rules.filter((r) => r.source?.kind === 'body').map((r) => (r.source as { path: FieldPath }).path);
  // Longest targets first, so a violation is traced to the most specific rule.
  const byTarget = [...rules].sort((a, b) => b.target.length - a.target.length);
  return {
    identity,
    keepBody,
    pick,
    rules,
    drop,
    bodySources: moved.length > 0,
    params,
    apply(body, parts) {
      if (identity) return body;
      const values = rules.map((r) => {
        if (r.constant !== undefined) return clone(r.constant);
        const src = r.source!;
        let v: unknown;
        if (src.kind === 'body') v = getAt(body, src.path);
        else if (parts) {
          const raw = paramValues(parts, src.kind, src.name);
          v = raw === undefined ? undefined : r.coerce!(raw);
        }
        return v === undefined ? clone(r.fallback) : v;
      });
      let base: unknown = keepBody ? body : {};
      if (pick) base = getAt(base, pick);
      if (keepBody) {
        for (const path of moved) {
          if (pick && !startsWith(path, pick)) continue;
          const rel = pick ? path.slice(pick.length) : path;
          if (rel.length === 0) base = {};
          else deleteAt(base, rel);
        }
        for (const path of drop) deleteAt(base, path);
      }
      for (let i = 0; i < rules.length; i++) if (values[i] !== undefined) base = setAt(base, rules[i].target, values[i]);
      return base;
    },
    origin(pointer) {
      for (const r of byTarget) {
        const tp = pointerOf(r.target);
        if (pointer !== tp && !pointer.startsWith(tp + '/')) continue;
        const rest = pointer.slice(tp.length);
        if (r.source?.kind === 'body') return { pointer: pointerOf(r.source.path) + rest };
        if (r.source) return { in: r.source.kind, parameter: r.source.name };
        return { pointer };
      }
      return { pointer };
    },
  };
}
