/**
 * What a route takes and gives, as JSON Schemas, for the OpenAPI document: the operation's
 * message schemas reshaped the way the route's transforms reshape messages. A field filled
 * from a parameter leaves the body and becomes a parameter; a moved field appears under its
 * new name; a dropped field disappears. (Fields inside an xs:choice keep the WSDL's shape.)
 */
import type { HttpMethod, JsonSchema, RouteDescription, RouteParam } from '../model/route';
import type { ApiRoute } from './compile';
import { startsWith, type FieldPath } from './fields';
import { openApiPath, type RouteTemplate } from './routes';
import type { SchemaView } from './schema-view';
import type { Rule } from './transform';

const EMPTY_OBJECT = (): JsonSchema => ({ type: 'object', properties: {}, additionalProperties: false });

/** A copy of `s` in which the object at `path` (created where missing) has been changed by `fn`. */
function edit(view: SchemaView, s: JsonSchema | undefined, path: FieldPath, fn: (obj: JsonSchema) => void): JsonSchema {
  const resolved = s ? view.resolve(s) : undefined;
  const obj = resolved && view.kind(resolved) === 'object' ? view.absolute(resolved) : EMPTY_OBJECT();
  obj.properties = { ...((obj.properties ?? {}) as Record<string, JsonSchema>) };
  obj.required = [...((obj.required ?? []) as string[])];
  if (path.length === 0) fn(obj);
  else {
    const props = obj.properties as Record<string, JsonSchema>;
    props[path[0]] = edit(view, props[path[0]], path.slice(1), fn);
  }
  if ((obj.required as string[]).length === 0) delete obj.required;
  return obj;
}

/** The inline object schema at `path` of an edited schema (edited objects are inline copies). */
function inlineAt(s: JsonSchema, path: FieldPath): JsonSchema | undefined {
  let cur: JsonSchema | undefined = s;
  for (const step of path) cur = (cur?.properties as Record<string, JsonSchema> | undefined)?.[step];
  return cur;
}

/**
 * Removes the field at `path`. An object that loses its last required field on the way is no
 * longer required itself: the rules fill what it needed, so the caller need not send it.
 */
function remove(view: SchemaView, s: JsonSchema, path: FieldPath): JsonSchema {
  if (path.length === 0) return EMPTY_OBJECT();
  const dropRequired = (target: FieldPath) => (o: JsonSchema) => {
    const name = target[target.length - 1];
    delete (o.properties as Record<string, JsonSchema>)[name];
    o.required = ((o.required ?? []) as string[]).filter((r) => r !== name);
  };
  let out = edit(view, s, path.slice(0, -1), dropRequired(path));
  for (let k = path.length - 1; k >= 1; k--) {
    const obj = inlineAt(out, path.slice(0, k));
    if (!obj || (Array.isArray(obj.required) && obj.required.length > 0)) break;
    const name = path[k - 1];
    out = edit(view, out, path.slice(0, k - 1), (o) => {
      o.required = ((o.required ?? []) as string[]).filter((r) => r !== name);
    });
  }
  return out;
}

function add(view: SchemaView, s: JsonSchema | undefined, path: FieldPath, schema: JsonSchema, required: boolean): JsonSchema {
  if (path.length === 0) return schema;
  const name = path[path.length - 1];
  return edit(view, s, path.slice(0, -1), (o) => {
    (o.properties as Record<string, JsonSchema>)[name] = schema;
    if (required) (o.required as string[]).push(name);
  });
}

function fieldSchema(view: SchemaView, root: JsonSchema, path: FieldPath): { schema: JsonSchema; required: boolean } {
  const found = view.lookup(root, path);
  return found.ok ? { schema: view.absolute(found.field.schema), required: found.field.required } : { schema: {}, required: false };
}

function ruleSchema(view: SchemaView, rule: Rule, root: JsonSchema): { schema: JsonSchema; required: boolean } {
  const target = fieldSchema(view, root, rule.target);
  return { schema: target.schema, required: target.required && rule.fallback === undefined };
}

function parameters(view: SchemaView, route: ApiRoute, input: JsonSchema): RouteParam[] {
  const out: RouteParam[] = [];
  for (const rule of route.request.rules) {
    const src = rule.source;
    if (!src || src.kind === 'body') continue;
    const { schema, required } = ruleSchema(view, rule, input);
    out.push({
      in: src.kind,
      name: src.name,
      required: src.kind === 'path' || required,
      schema: rule.fallback === undefined ? schema : { ...schema, default: rule.fallback },
      description: `${schema.description ? `${String(schema.description)} ` : ''}(fills ${rule.target.join('.') || 'the value'})`,
    });
  }
  return out;
}

function requestBody(view: SchemaView, route: ApiRoute, input: JsonSchema): JsonSchema | undefined {
  const t = route.request;
  if (t.identity) return view.refTo(route.op.inputDef);
  if (!route.acceptsBody) return undefined;
  let body: JsonSchema = t.keepBody ? edit(view, input, [], () => undefined) : EMPTY_OBJECT();
  if (t.keepBody) for (const rule of t.rules) body = remove(view, body, rule.target);
  for (const rule of t.rules) {
    if (rule.source?.kind !== 'body') continue;
    const { schema, required } = ruleSchema(view, rule, input);
    body = add(view, body, rule.source.path, schema, required);
  }
  for (const path of t.drop) body = add(view, body, path, { description: 'accepted and not passed on' }, false);
  return body;
}

function response(view: SchemaView, route: ApiRoute): JsonSchema | undefined {
  const def = route.op.outputDef;
  if (!def) return undefined;
  const t = route.response;
  if (t.identity) return view.refTo(def);
  const output = view.def(def);
  let base: JsonSchema = t.pick ? fieldSchema(view, output, t.pick).schema : edit(view, output, [], () => undefined);
  const pick = t.pick ?? [];
  for (const rule of t.rules) {
    if (rule.source?.kind === 'body' && startsWith(rule.source.path, pick)) base = remove(view, base, rule.source.path.slice(pick.length));
  }
  for (const path of t.drop) base = remove(view, base, path);
  for (const rule of t.rules) {
    if (rule.constant !== undefined) base = add(view, base, rule.target, { const: rule.constant }, true);
    else if (rule.source?.kind === 'body') {
      const src = fieldSchema(view, output, rule.source.path);
      base = add(view, base, rule.target, src.schema, src.required || rule.fallback !== undefined);
    }
  }
  return base;
}

export function describeRoute(route: ApiRoute, template: RouteTemplate, service: string, view: SchemaView): RouteDescription {
  const input = view.def(route.op.inputDef);
  return {
    method: template.method as HttpMethod,
    path: `/api/${encodeURIComponent(service)}${template.path === '/' ? '' : openApiPath(template)}`,
    operation: route.op.name,
    isDefault: route.isDefault,
    parameters: parameters(view, route, input),
    requestBody: requestBody(view, route, input),
    response: response(view, route),
    faultStatuses: route.op.policy.faultRules.map((r) => r.problem),
    description: route.op.model.documentation,
    auth: route.auth === false ? false : route.auth?.description,
  };
}
