/**
 * The OpenAPI 3.1 document of the REST facade, generated from the bundles' routes
 * (model/route.ts) and JSON Schemas. Served at `GET /openapi.json`, printed by
 * `soap-bridge openapi`. Pure: the same bundles (and server URL) give the same document.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '../compile';
import type { JsonSchema, RouteDescription, RouteParam } from '../model/route';
import { applyAuth } from '../auth/openapi';
import { BundleExamples } from './examples';
import { ERROR_SCHEMAS, errorResponses, REQUEST_ID, REQUEST_ID_HEADER, REQUEST_ID_PARAMETER, standardResponses } from './problem';
import { ComponentSchemas } from './schemas';
import { serviceDocumentation } from './service-doc';

export type OpenApiDocument = Record<string, unknown> & { openapi: string; info: Record<string, unknown>; paths: Record<string, Record<string, unknown>> };

export interface OpenApiOptions {
  /** The bridge's public URL (scheme://host[:port]); no `servers` when unknown. */
  serverUrl?: string;
}

export interface OmittedExample {
  operationId: string;
  /** `request`, `response`, or `parameter NAME`. */
  where: string;
  reason: string;
}

export interface OpenApiResult {
  document: OpenApiDocument;
  /** Examples left out because no valid sample could be made. */
  omitted: OmittedExample[];
  warnings: string[];
}

const DESCRIPTION = [
  'The REST facade of soap-bridge: each operation calls an operation of a SOAP service and answers with its output as JSON.',
  '',
  'Bodies use the bridge\'s JSON form of XML: an element is a property named by its local name; a repeating element is always an array; `xsi:nil` is `null`; an attribute is a property (`@name` where an element has the same name) and simple content next to attributes is `$value`; an `xs:choice` shows only the chosen branch; `xs:any` content is an XML string in `$any`. Numbers too big for a double (64-bit and unbounded integers, long decimals) may be sent as numeric strings.',
  '',
  'Formats named `xsd-*` are the XSD lexical forms (`xsd-date`, `xsd-dateTime`, `xsd-duration`, `xsd-base64Binary`, ...). `x-xsd-numeric` carries digit and range facets of XSD numbers, `x-xsd-octets` length facets of binary types, `x-xsd-occurs` how many elements the properties of a repeating choice (or substitution group) hold together, and `x-xsd-choice` the members of a required choice: the bridge enforces them.',
  '',
  'Errors are RFC 9457 `application/problem+json` (schema `Problem`). Every response carries `X-Request-Id`.',
  '',
  'Dry run: every route also takes the query parameter `dryRun=1` (or the header `X-Dry-Run: 1`). The request is authenticated, rate-limited, validated and mapped as a real call, but the backend is not called: the answer is `200` JSON `{dryRun, service, operation, backend: {url, method, headers}, envelope, input}`, the SOAP envelope the bridge would send.',
].join('\n');

function packageVersion(): string {
  try {
    // dist/src/openapi -> the package root, both in the repository and when installed.
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const VERSION = packageVersion();

/** A short summary: the first sentence of the WSDL documentation, else the operation's name. */
function summaryOf(route: RouteDescription): string {
  const first = route.description?.split(/(?<=[.!?])\s/)[0]?.trim();
  if (first) return first.length > 120 ? `${first.slice(0, 119)}…` : first;
  return route.isDefault ? route.operation : `${route.operation} (${route.method} ${route.path})`;
}

function operationIdOf(service: string, route: RouteDescription): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  const base = `${clean(service)}.${clean(route.operation)}`;
  if (route.isDefault) return base;
  // Other routes of the same operation: method and the path after /api/{service}, as words.
  const rest = route.path.split('/').slice(3).map((s) => clean(s.replace(/[{}]/g, ''))).filter(Boolean);
  return [base, route.method.toLowerCase(), ...rest].join('.');
}

/** `{name}` templates of a path. */
function templateNames(p: string): string[] {
  return [...p.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]);
}

class Generator {
  private readonly components = new ComponentSchemas(Object.keys(ERROR_SCHEMAS));
  private readonly ids = new Set<string>();
  readonly paths: Record<string, Record<string, unknown>> = {};
  readonly tags: { name: string; description?: string }[] = [];
  readonly omitted: OmittedExample[] = [];
  readonly warnings: string[] = [];
  /** components.securitySchemes of the routes with `auth:`. */
  readonly securitySchemes: Record<string, unknown> = {};
  operations = 0;

  addBundle(bundle: Bundle): void {
    if (bundle.routes.length === 0) return;
    this.components.addDocument(bundle.schema, bundle.name);
    const description = serviceDocumentation(bundle) ?? `Operations of the SOAP service described by ${path.basename(bundle.wsdlFile)}.`;
    this.tags.push({ name: bundle.name, description });
    const examples = new BundleExamples(bundle);
    for (const route of bundle.routes) this.addRoute(bundle, route, examples);
  }

  private addRoute(bundle: Bundle, route: RouteDescription, examples: BundleExamples): void {
    const method = route.method.toLowerCase();
    const item = (this.paths[route.path] ??= {});
    if (item[method]) {
      this.warnings.push(`${bundle.name}: ${route.method} ${route.path} is described twice; the first one is kept`);
      return;
    }
    let id = operationIdOf(bundle.name, route);
    for (let n = 2; this.ids.has(id); n++) id = `${operationIdOf(bundle.name, route)}_${n}`;
    this.ids.add(id);
    const op: Record<string, unknown> = {
      operationId: id,
      summary: summaryOf(route),
      description: `${route.description ? `${route.description}\n\n` : ''}Calls the SOAP operation \`${route.operation}\` of service \`${bundle.name}\`.`,
      tags: [bundle.name],
      parameters: this.parameters(bundle, route, id, examples),
    };
    if (route.requestBody) {
      const media: Record<string, unknown> = { schema: this.schema(route.requestBody, bundle) };
      this.example(media, route.requestBody, examples, id, 'request');
      op.requestBody = { required: true, description: 'The input of the operation, as JSON.', content: { 'application/json': media } };
    }
    const headers = { 'X-Request-Id': { $ref: `#/components/headers/${REQUEST_ID}` } };
    const responses: Record<string, unknown> = {};
    if (route.response) {
      const media: Record<string, unknown> = { schema: this.schema(route.response, bundle) };
      this.example(media, route.response, examples, id, 'response');
      responses['200'] = { description: 'The output of the operation, as JSON.', headers, content: { 'application/json': media } };
    } else responses['204'] = { description: 'The operation is one-way: no output.', headers };
    op.responses = { ...responses, ...errorResponses(route.faultStatuses) };
    applyAuth(op, route.auth, this.securitySchemes);
    item[method] = op;
    this.operations++;
  }

  private parameters(bundle: Bundle, route: RouteDescription, id: string, examples: BundleExamples): unknown[] {
    const templates = templateNames(route.path);
    const given: RouteParam[] = [];
    for (const p of route.parameters) {
      if (p.in === 'path' && !templates.includes(p.name)) this.warnings.push(`${id}: path parameter ${p.name} is not in ${route.path}; left out`);
      else given.push(p);
    }
    // OpenAPI requires a parameter for every template: one the route did not describe is a string.
    for (const t of templates) if (!given.some((p) => p.in === 'path' && p.name === t)) given.push({ in: 'path', name: t, required: true, schema: { type: 'string' } });
    const out: unknown[] = given.map((p) => {
      const param: Record<string, unknown> = { name: p.name, in: p.in, required: p.in === 'path' ? true : p.required };
      if (p.description) param.description = p.description;
      param.schema = this.schema(p.schema, bundle);
      this.example(param, p.schema, examples, id, `parameter ${p.name}`);
      return param;
    });
    if (!given.some((p) => p.in === 'header' && p.name.toLowerCase() === 'x-request-id')) out.push({ $ref: `#/components/parameters/${REQUEST_ID}` });
    return out;
  }

  private schema(s: JsonSchema, bundle: Bundle): unknown {
    return this.components.translate(s, bundle.schema);
  }

  private example(target: Record<string, unknown>, schema: JsonSchema, examples: BundleExamples, operationId: string, where: string): void {
    const r = examples.example(schema);
    if (r.ok) target.example = r.value;
    else this.omitted.push({ operationId, where, reason: r.reason });
  }

  document(options: OpenApiOptions): OpenApiDocument {
    const doc = {
      openapi: '3.1.0',
      info: { title: 'soap-bridge REST facade', version: VERSION, description: DESCRIPTION },
      servers: serversFor(options.serverUrl),
      // No document-wide requirement: operations with `auth:` in their mapping carry their own `security`.
      security: [],
      ...(this.tags.length ? { tags: this.tags } : {}),
      paths: this.paths,
    } as OpenApiDocument;
    const components: Record<string, unknown> = { schemas: { ...(this.operations ? ERROR_SCHEMAS : {}), ...this.components.schemas } };
    if (this.operations) {
      components.responses = standardResponses();
      components.parameters = { [REQUEST_ID]: REQUEST_ID_PARAMETER };
      components.headers = { [REQUEST_ID]: REQUEST_ID_HEADER };
    }
    if (Object.keys(this.securitySchemes).length > 0) components.securitySchemes = this.securitySchemes;
    doc.components = components;
    return doc;
  }

  get schemaWarnings(): string[] {
    return this.components.warnings;
  }
}

/**
 * `servers` for the bridge's URL; `/` (what OpenAPI assumes when `servers` is absent: relative
 * to where the document is served) when the URL is not known, as for the CLI.
 */
function serversFor(url: string | undefined): { url: string; description: string }[] {
  return url ? [{ url, description: 'this bridge' }] : [{ url: '/', description: 'the bridge serving this document' }];
}

/** The document with `servers` for another URL; the rest is shared, not copied. */
export function withServer(doc: OpenApiDocument, url: string | undefined): OpenApiDocument {
  const out = {} as OpenApiDocument;
  for (const [k, v] of Object.entries(doc)) out[k] = k === 'servers' ? serversFor(url) : v;
  return out;
}

/** The document and what could not go into it (examples left out, routes described twice). */
export function generateOpenApi(bundles: readonly Bundle[], options: OpenApiOptions = {}): OpenApiResult {
  const g = new Generator();
  for (const b of bundles) g.addBundle(b);
  const document = g.document(options);
  return { document, omitted: g.omitted, warnings: [...g.warnings, ...g.schemaWarnings] };
}

export function buildOpenApi(bundles: readonly Bundle[], options: OpenApiOptions = {}): OpenApiDocument {
  return generateOpenApi(bundles, options).document;
}
