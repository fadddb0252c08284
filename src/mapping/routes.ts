/**
 * Routes of the REST facade: `METHOD /path/{param}` templates under `/api/{service}`, parsed at
 * load time and matched per request. Literal segments beat parameters, so `GET /orders/open`
 * wins over `GET /orders/{id}`; a template cannot be declared twice for one method.
 */
import type { HttpMethod } from '../model/route';

export type Segment = { literal: string } | { param: string };

export interface RouteTemplate {
  method: HttpMethod;
  /** The path as written, under `/api/{service}`. */
  path: string;
  segments: Segment[];
  params: string[];
}

export class RouteSyntaxError extends Error {}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]+$/;

/** Splits a path into decoded segments; undefined when a segment is not valid percent-encoding. */
export function pathSegments(path: string): string[] | undefined {
  const parts = path.split('/').filter((p, i) => i > 0 || p !== '');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

export function parseRoute(text: string): RouteTemplate {
  const m = /^(GET|POST|PUT|PATCH|DELETE)\s+(\/\S*)$/.exec(text.trim());
  if (!m) throw new RouteSyntaxError(`"${text}" is not a route: write METHOD /path, like GET /orders/{id}`);
  const method = m[1] as HttpMethod;
  const path = m[2].length > 1 ? m[2].replace(/\/+$/, '') : m[2];
  if (path.includes('?')) throw new RouteSyntaxError(`"${text}": a route has no query part; map query parameters with query.<name> sources`);
  const segments: Segment[] = [];
  const params: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    if (raw === '') {
      if (path === '/') break;
      throw new RouteSyntaxError(`"${text}" has an empty path segment`);
    }
    const p = PARAM.exec(raw);
    if (p) {
      if (params.includes(p[1])) throw new RouteSyntaxError(`"${text}" names {${p[1]}} twice`);
      params.push(p[1]);
      segments.push({ param: p[1] });
    } else if (raw.includes('{') || raw.includes('}')) {
      throw new RouteSyntaxError(`"${text}": a parameter must be a whole segment, like /{id}`);
    } else if (!LITERAL.test(raw)) {
      throw new RouteSyntaxError(`"${text}": "${raw}" is not a valid path segment`);
    } else {
      segments.push({ literal: decodeURIComponent(raw) });
    }
  }
  return { method, path, segments, params };
}

/** The template's shape without parameter names: two routes with one shape cannot be told apart. */
export function routeShape(t: RouteTemplate): string {
  return `${t.method} /${t.segments.map((s) => ('literal' in s ? s.literal.replace(/\{/g, '%7B') : '{}')).join('/')}`;
}

/** The path written OpenAPI style (`/orders/{id}`), literals percent-encoded. */
export function openApiPath(t: RouteTemplate): string {
  return '/' + t.segments.map((s) => ('literal' in s ? encodeURIComponent(s.literal) : `{${s.param}}`)).join('/');
}

export type RouteMatch<T> = { found: T; params: Record<string, string> } | { allowed: HttpMethod[] } | undefined;

/** Routes of one service, matched on the path segments after `/api/{service}`. */
export class Router<T> {
  private readonly exact = new Map<string, Map<string, T>>();
  private readonly templated: { t: RouteTemplate; value: T }[] = [];

  add(t: RouteTemplate, value: T): void {
    if (t.params.length === 0) {
      const key = t.segments.map((s) => (s as { literal: string }).literal).join('/');
      let byMethod = this.exact.get(key);
      if (!byMethod) this.exact.set(key, (byMethod = new Map()));
      byMethod.set(t.method, value);
    } else {
      this.templated.push({ t, value });
      // Literal segments first: the route with the first literal where another has a parameter wins.
      this.templated.sort((a, b) => specificity(b.t).localeCompare(specificity(a.t)));
    }
  }

  match(method: string, segments: string[]): RouteMatch<T> {
    const allowed = new Set<HttpMethod>();
    const exact = this.exact.get(segments.join('/'));
    if (exact) {
      const v = exact.get(method as HttpMethod);
      if (v !== undefined) return { found: v, params: {} };
      for (const m of exact.keys()) allowed.add(m as HttpMethod);
    }
    for (const { t, value } of this.templated) {
      if (t.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const s = t.segments[i];
        if ('literal' in s) ok = s.literal === segments[i];
        else params[s.param] = segments[i];
      }
      if (!ok) continue;
      if (t.method === method) return { found: value, params };
      allowed.add(t.method);
    }
    return allowed.size ? { allowed: [...allowed] } : undefined;
  }
}

function specificity(t: RouteTemplate): string {
  return t.segments.map((s) => ('literal' in s ? '1' : '0')).join('');
}
