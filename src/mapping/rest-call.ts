/**
 * The SOAP facade's call to the JSON service (`restCall:` in mapping.yaml): method, path under
 * restBackend with `{field}` parameters, fields sent as query parameters, fixed headers, and the
 * reshaping of the JSON request (from the SOAP input) and of the JSON answer (into the SOAP
 * output). Without a `restCall`, the call is the contract's `POST {restBackend}/{operation}`.
 */
import { isSecretName, registerSecret } from '../log/redact';
import type { Diagnostics } from '../compile/diagnostics';
import type { CompiledOperation } from '../compile/operation';
import { BridgeError } from '../errors/catalogue';
import type { HttpMethod, JsonSchema } from '../model/route';
import { isObject } from './fields';
import { didYouMean, formatPath, type MappingPath, type RestCallSpec, type Where } from './index';
import { parseRoute, RouteSyntaxError, type RouteTemplate } from './routes';
import type { SchemaView } from './schema-view';
import { compileTransform, identityTransform, type Transform, type TransformContext } from './transform';

export interface RestCall {
  method: HttpMethod;
  /** Fixed headers (restHeaders of the bundle, then the operation's). */
  headers: Record<string, string>;
  request: Transform;
  response: Transform;
  /** URL and body of the call for a JSON request (after `request` shaped it). */
  build(json: unknown): { url: string; body?: string };
}

type ContextFor = (path: MappingPath, label: string, defaultBody: boolean, sides: { inSchema?: JsonSchema; outSchema?: JsonSchema; inName?: string; outName?: string }) => TransformContext;

function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

export function compileRestCall(spec: RestCallSpec | undefined, op: CompiledOperation, restHeaders: Record<string, string>, view: SchemaView, ctxFor: ContextFor, where: Where, diags: Diagnostics): RestCall {
  const s = spec ?? {};
  const method: HttpMethod = s.method ?? 'POST';
  const at: MappingPath = ['operations', op.name, 'restCall'];
  let template: RouteTemplate | undefined;
  if (s.path !== undefined) {
    try {
      template = parseRoute(`${method} ${s.path}`);
    } catch (e) {
      if (!(e instanceof RouteSyntaxError)) throw e;
      diags.error(where([...at, 'path']), `${formatPath([...at, 'path'])}: ${e.message}`);
    }
  }
  const input = view.def(op.inputDef);
  const request = spec?.request ? compileTransform(spec.request, ctxFor(['request'], 'request', true, { inSchema: input, inName: `${op.name}'s SOAP input` })) : identityTransform();
  if (spec?.response !== undefined && !op.outputDef) diags.error(where([...at, 'response'], true), `${formatPath([...at, 'response'])}: ${op.name} is one-way; it has no response to shape`);
  const response = spec?.response && op.outputDef ? compileTransform(spec.response, ctxFor(['response'], 'response', true, { outSchema: view.def(op.outputDef), outName: `${op.name}'s SOAP output` })) : identityTransform();
  const pathParams = template?.params ?? [];
  const query = s.query ?? [];
  if (request.identity) {
    // The JSON request is the SOAP input itself: its fields are known, so the names can be checked.
    const fields = [...view.properties(input).keys()];
    const checkName = (name: string, path: MappingPath, what: string): void => {
      if (fields.includes(name)) return;
      const hint = didYouMean(name, fields);
      diags.error(where(path), `${formatPath(path)}: ${what} "${name}" is not a field of ${op.name}'s input${hint ? ` (did you mean "${hint}"?)` : ` (fields: ${fields.join(', ')})`}`);
    };
    for (const p of pathParams) checkName(p, [...at, 'path'], 'path parameter');
    query.forEach((q, i) => checkName(q, [...at, 'query', i], 'query field'));
    if (method === 'GET' || method === 'DELETE') {
      const unsent = fields.filter((f) => !pathParams.includes(f) && !query.includes(f));
      if (unsent.length) diags.warn(where([...at, 'method']), `${formatPath([...at, 'method'])}: a ${method} has no body, so ${unsent.join(', ')} of ${op.name}'s input ${unsent.length === 1 ? 'is' : 'are'} not sent; list ${unsent.length === 1 ? 'it' : 'them'} in query`);
    }
  }
  const base = (op.restBase ?? '').replace(/\/+$/, '');
  // Lower-cased, so a mapping's `Accept` replaces the default `accept` instead of doubling it.
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...restHeaders, ...(s.headers ?? {}) })) {
    headers[k.toLowerCase()] = v;
    // A credential header's value (from the environment): never in a log line or error body; `Bearer x` also registers x.
    if (isSecretName(k)) {
      registerSecret(v);
      registerSecret(v.replace(/^\S+\s+/, ''));
    }
  }
  const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  const defaultPath = `/${encodeURIComponent(op.name)}`;
  return {
    method,
    headers,
    request,
    response,
    build(json) {
      const body = isObject(json) ? { ...json } : {};
      let path = defaultPath;
      if (template) {
        path = '';
        for (const seg of template.segments) {
          if ('literal' in seg) {
            path += '/' + encodeURIComponent(seg.literal);
            continue;
          }
          const v = body[seg.param];
          if (v === undefined || v === null) {
            throw new BridgeError('VALIDATION_FAILED', `the field ${seg.param}, which the JSON service's URL needs, is missing`, { errors: [{ pointer: `/${seg.param}`, detail: 'is required (it is part of the URL of the JSON service)' }] });
          }
          path += '/' + encodeURIComponent(text(v));
          delete body[seg.param];
        }
      }
      const params = new URLSearchParams();
      for (const name of query) {
        const v = body[name];
        delete body[name];
        if (v === undefined || v === null) continue;
        for (const item of Array.isArray(v) ? v : [v]) params.append(name, text(item));
      }
      const qs = params.toString();
      const url = `${base}${path}${qs ? `?${qs}` : ''}`;
      return hasBody ? { url, body: JSON.stringify(isObject(json) ? body : json) } : { url };
    },
  };
}
