/**
 * mapping.yaml against the WSDL: which binding each operation uses, its endpoints and timeout,
 * its routes with their request and response shaping, SOAP headers, WS-Security, fault rules
 * and the call the SOAP facade makes to the JSON service. Everything is checked here, at load
 * time, and reported at the YAML position it is about; requests get compiled closures only.
 */
import path from 'node:path';
import type Ajv2020 from 'ajv/dist/2020';
import { violationsOf } from '../compile/ajv';
import type { Diagnostics } from '../compile/diagnostics';
import type { JsonSchemaBuilder } from '../compile/json-schema';
import type { Codecs, CompiledOperation, OperationPolicy } from '../compile/operation';
import type { SchemaSet } from '../compile/xsd';
import type { OperationModel, SoapVersion } from '../model/operation';
import type { HttpMethod, JsonSchema, RouteDescription } from '../model/route';
import type { ElementDecl } from '../model/xsd';
import { compileSoapAuth } from '../auth/wss/mapping';
import type { Authenticator } from '../auth';
import type { BundleAuth } from '../auth/bundle';
import { registerSecret } from '../log/redact';
import { compileTls, isPlainHttp, type OutboundTls, type TlsSpec } from '../tls/outbound';
import type { UsernameToken } from '../soap/wssecurity';
import { rateLimitRules } from '../ratelimit/rule';
import { describeRoute } from './describe';
import { compileFaultRules, compileSoapFaultRules, type FaultRule, type SoapFaultRule } from './faults';
import { findElement, headerBlock, type HeaderBlock } from './headers';
import { didYouMean, formatPath, type CircuitBreakerSpec, type LoadedMapping, type MappingPath, type OperationMapping, type SoapHeaderSpec } from './index';
import { compileRestCall } from './rest-call';
import { parseRoute, routeShape, Router, RouteSyntaxError, type RouteTemplate } from './routes';
import { SchemaView } from './schema-view';
import { compileTransform, identityTransform, type Transform, type TransformContext } from './transform';

/** A route of the REST facade, as requests meet it. */
export interface ApiRoute {
  op: CompiledOperation;
  isDefault: boolean;
  method: HttpMethod;
  request: Transform;
  response: Transform;
  /** Whether the route reads a JSON body. */
  acceptsBody: boolean;
  /** Who may call it (checked before the body is read); false: public by `auth: false`; undefined: no auth configured. */
  auth?: Authenticator | false;
}

/** What compileOperation needs from the mapping for one operation of one binding. */
export interface OperationSettings {
  endpoint: string | undefined;
  restBase: string | undefined;
  timeoutMs: number | undefined;
  connectTimeoutMs: number | undefined;
  idempotent: boolean;
  /** Undefined: the global breaker settings (BREAKER_*). */
  circuitBreaker: CircuitBreakerSpec | undefined;
  /** Global elements of the SOAP headers this operation sends (their namespaces go on the Envelope). */
  headerElements: ElementDecl[];
  /** Outbound TLS of its backend (mapping key `tls`). */
  tls: OutboundTls | undefined;
}

interface PreparedHeader {
  spec: SoapHeaderSpec;
  at: MappingPath;
  decl: ElementDecl;
  schema: JsonSchema;
}

const BODY_METHODS = new Set<HttpMethod>(['POST', 'PUT', 'PATCH']);

export class MappingCompiler {
  private readonly mapping;
  private readonly where;
  private readonly headers = new Map<SoapHeaderSpec, PreparedHeader>();
  private bundleFaults: FaultRule[] = [];
  private bundleSoapFaults: SoapFaultRule[] = [];
  private readonly tlsCompiled = new Map<TlsSpec, OutboundTls | undefined>();
  private readonly tlsPlainWarned = new Set<TlsSpec>();
  /** Files the mapping refers to (TLS certificates and keys): hashed and watched with the bundle. */
  readonly extraFiles: string[] = [];
  private readonly file: string | undefined;

  constructor(
    loaded: LoadedMapping,
    private readonly models: OperationModel[],
    private readonly schemas: SchemaSet,
    private readonly builder: JsonSchemaBuilder,
    private readonly diags: Diagnostics,
  ) {
    this.mapping = loaded.mapping;
    this.where = loaded.where;
    this.file = loaded.file;
  }

  /** The `tls` of an operation (its own, else the service's), compiled once per map. */
  private tlsFor(name: string, urls: (string | undefined)[]): OutboundTls | undefined {
    const own = this.op(name).tls;
    const spec = own ?? this.mapping.tls;
    if (!spec) return undefined;
    const at: MappingPath = own ? ['operations', name, 'tls'] : ['tls'];
    if (!this.tlsCompiled.has(spec)) {
      const dir = this.file ? path.dirname(this.file) : process.cwd();
      this.tlsCompiled.set(spec, compileTls(spec, at, { dir, where: this.where, diags: this.diags, files: this.extraFiles }));
    }
    const used = urls.filter((u): u is string => u !== undefined);
    if (used.length > 0 && used.every(isPlainHttp) && !this.tlsPlainWarned.has(spec)) {
      this.tlsPlainWarned.add(spec);
      this.diags.warn(this.where(at, true), `${formatPath(at)} has no effect on ${name}: its backend ${used.join(' and ')} is http://, not https://`);
    }
    return this.tlsCompiled.get(spec);
  }

  private op(name: string): OperationMapping {
    return this.mapping.operations?.[name] ?? {};
  }

  // ---- phase 1: before the JSON Schema document is final ---------------------------------------

  /** Operation names and bindings the mapping refers to must exist. */
  checkNames(): void {
    const names = [...new Set(this.models.map((m) => m.name))];
    const bindings = [...new Set(this.models.map((m) => m.binding.local))];
    for (const name of Object.keys(this.mapping.operations ?? {})) {
      if (names.includes(name)) continue;
      const hint = didYouMean(name, names);
      this.diags.error(this.where(['operations', name], true), `operations.${name}: the WSDL has no operation "${name}"${hint ? ` (did you mean "${hint}"?)` : ` (it has: ${names.join(', ')})`}`);
    }
    const checkBinding = (value: string | undefined, at: MappingPath, opName?: string): void => {
      if (value === undefined) return;
      const inBinding = this.models.filter((m) => m.binding.local === value);
      if (inBinding.length === 0) {
        const hint = didYouMean(value, bindings);
        this.diags.error(this.where(at), `${formatPath(at)}: the WSDL has no binding "${value}"${hint ? ` (did you mean "${hint}"?)` : ` (it has: ${bindings.join(', ')})`}`);
      } else if (opName && !inBinding.some((m) => m.name === opName)) {
        this.diags.error(this.where(at), `${formatPath(at)}: binding "${value}" has no operation ${opName}`);
      }
    };
    checkBinding(this.mapping.binding, ['binding']);
    for (const [name, op] of Object.entries(this.mapping.operations ?? {})) {
      if (names.includes(name)) checkBinding(op.binding, ['operations', name, 'binding'], name);
    }
  }

  /** Resolves the elements of every `soapHeaders` entry and gives each a JSON Schema. */
  prepareHeaders(): void {
    const prepare = (list: SoapHeaderSpec[] | undefined, at: MappingPath): void => {
      (list ?? []).forEach((spec, i) => {
        const path = [...at, i, 'element'];
        let found: ReturnType<typeof findElement>;
        try {
          found = findElement(this.schemas, spec.element);
        } catch (e) {
          found = { error: `element "${spec.element}" cannot be used: ${(e as Error).message}` };
        }
        if ('error' in found) {
          this.diags.error(this.where(path), `${formatPath(path)}: ${found.error}`);
          return;
        }
        const schema = this.builder.typeSchema(found.decl.type, found.decl.name.local);
        this.headers.set(spec, { spec, at: [...at, i], decl: found.decl, schema });
      });
    };
    prepare(this.mapping.soapHeaders, ['soapHeaders']);
    for (const [name, op] of Object.entries(this.mapping.operations ?? {})) prepare(op.soapHeaders, ['operations', name, 'soapHeaders']);
  }

  private headerSpecs(name: string): SoapHeaderSpec[] {
    return [...(this.mapping.soapHeaders ?? []), ...(this.op(name).soapHeaders ?? [])];
  }

  /** The model of each operation the REST facade calls: the binding asked for, else the SOAP version asked for, else 1.1. */
  restModels(usable: (m: OperationModel) => boolean): Map<string, OperationModel> {
    const chosen = new Map<string, OperationModel>();
    const score = (m: OperationModel): number => {
      const op = this.op(m.name);
      const binding = op.binding ?? this.mapping.binding;
      const version: SoapVersion = op.soapVersion ?? this.mapping.soapVersion ?? '1.1';
      return (binding !== undefined && m.binding.local === binding ? 2 : 0) + (m.soapVersion === version ? 1 : 0);
    };
    for (const m of this.models) {
      if (!usable(m)) continue;
      const op = this.op(m.name);
      if (op.binding !== undefined && m.binding.local !== op.binding) continue;
      const have = chosen.get(m.name);
      if (!have || score(m) > score(have)) chosen.set(m.name, m);
    }
    for (const [name, m] of chosen) {
      const want = this.op(name).soapVersion;
      if (want && m.soapVersion !== want) {
        this.diags.warn(this.where(['operations', name, 'soapVersion']), `operations.${name}.soapVersion: the WSDL has no SOAP ${want} binding for ${name}; using SOAP ${m.soapVersion}`);
      }
    }
    const bundleVersion = this.mapping.soapVersion;
    if (bundleVersion && chosen.size > 0 && ![...chosen.values()].some((m) => m.soapVersion === bundleVersion)) {
      this.diags.warn(this.where(['soapVersion']), `soapVersion ${bundleVersion}: the WSDL has no SOAP ${bundleVersion} binding; using the one it has`);
    }
    return chosen;
  }

  settings(m: OperationModel): OperationSettings {
    const op = this.op(m.name);
    const headerElements = this.headerSpecs(m.name).flatMap((s) => {
      const h = this.headers.get(s);
      return h ? [h.decl] : [];
    });
    const endpoint = op.soapBackend ?? this.mapping.soapBackend ?? (this.mapping.restBackend ? undefined : m.address);
    const restBase = op.restBackend ?? this.mapping.restBackend;
    return {
      endpoint,
      restBase,
      timeoutMs: op.timeoutMs ?? this.mapping.timeoutMs,
      connectTimeoutMs: op.connectTimeoutMs ?? this.mapping.connectTimeoutMs,
      idempotent: op.idempotent ?? this.mapping.idempotent ?? false,
      circuitBreaker: this.mapping.circuitBreaker,
      headerElements,
      tls: this.tlsFor(m.name, [endpoint, restBase]),
    };
  }

  // ---- phase 2: with the compiled operations and the bundle's ajv -------------------------------

  private checker(ajv: () => Ajv2020, view: SchemaView): (schema: JsonSchema, value: unknown) => string[] {
    return (schema, value) => {
      const validate = ajv().compile(view.absolute(schema));
      if (validate(value)) return [];
      return violationsOf(validate.errors).map((v) => (v.pointer ? `${v.pointer} ${v.detail}` : v.detail));
    };
  }

  private transformContext(view: SchemaView, check: TransformContext['check'], at: MappingPath, extra: Partial<TransformContext> & { label: string; defaultBody: boolean }): TransformContext {
    return { where: this.where, at, report: this.diags, view, check, ...extra };
  }

  /** Policies of every compiled operation, and the REST facade's routes. */
  finish(all: CompiledOperation[], rest: Map<string, CompiledOperation>, ajv: () => Ajv2020, doc: JsonSchema, codec: Codecs, service: string, restFacade: boolean, soapFacade: boolean, auth?: BundleAuth): { router: Router<ApiRoute>; routes: RouteDescription[] } {
    const view = new SchemaView(doc);
    const check = this.checker(ajv, view);
    this.bundleFaults = compileFaultRules(this.mapping.faults, ['faults'], undefined, { where: this.where, report: this.diags });
    this.bundleSoapFaults = compileSoapFaultRules(this.mapping.soapFaults);
    const soapAuthOf = compileSoapAuth(this.mapping.soapAuth, this.mapping.operations ?? {}, this.where, this.diags, soapFacade);
    const headerBlocks = new Map<SoapHeaderSpec, HeaderBlock>();
    const blockFor = (spec: SoapHeaderSpec): HeaderBlock | undefined => {
      const known = headerBlocks.get(spec);
      if (known) return known;
      const h = this.headers.get(spec);
      if (!h) return undefined;
      const ctx = this.transformContext(view, check, h.at, { label: 'SOAP header', defaultBody: false, outSchema: h.schema, outName: `element ${h.decl.name.local}`, params: { places: ['header', 'query'], pathNames: [] } });
      const before = this.diags.errors.length;
      const transform = compileTransform({ fields: h.spec.fields, value: h.spec.value, body: false }, ctx);
      const block = headerBlock(h.decl, transform, ajv().compile(view.absolute(h.schema)), codec.encoders.elementEncoder(h.decl), h.spec.mustUnderstand ? '1' : undefined);
      // Problems of the rules themselves are reported already; what is left is the value as a whole.
      if (this.diags.errors.length === before) {
        for (const p of block.constantProblems ?? []) this.diags.error(this.where(h.at), `${formatPath(h.at)}: the header ${h.spec.element} is not valid: ${p.pointer ? `${p.pointer} ` : ''}${p.detail}`);
      }
      headerBlocks.set(spec, block);
      return block;
    };

    const rateLimits = rateLimitRules(this.mapping, service, new Set(all.map((o) => o.model.name)), this.where, this.diags);
    for (const op of all) {
      const m = op.model;
      const spec = this.op(m.name);
      const at: MappingPath = ['operations', m.name];
      const declared = m.faults.flatMap((f) => (f.element ? [f.element.name.local] : []));
      const sec = spec.security !== undefined ? spec.security : this.mapping.security;
      const security = sec ? sec.usernameToken : undefined;
      // The password came from the environment (${VAR}): never in a log line or an error body.
      if (security) registerSecret(security.password);
      const policy: OperationPolicy = {
        faultRules: [...compileFaultRules(spec.faults, [...at, 'faults'], declared, { where: this.where, report: this.diags }), ...this.bundleFaults],
        soapFaultRules: [...compileSoapFaultRules(spec.soapFaults), ...this.bundleSoapFaults],
        headers: this.headerSpecs(m.name).flatMap((s) => {
          const b = blockFor(s);
          return b ? [b] : [];
        }),
        security: security satisfies UsernameToken | undefined,
        soapAuth: soapAuthOf(m.name),
        restCall: soapFacade
          ? compileRestCall(spec.restCall, op, this.mapping.restHeaders ?? {}, view, (path, label, defaultBody, sides) => this.transformContext(view, check, [...at, 'restCall', ...path], { label, defaultBody, ...sides }), this.where, this.diags)
          : undefined,
        rateLimit: rateLimits.get(m.name),
      };
      if (!soapFacade && spec.restCall) this.diags.warn(this.where([...at, 'restCall'], true), `${formatPath([...at, 'restCall'])} has no effect: the service has no SOAP facade (no restBackend)`);
      op.policy = policy;
    }
    return this.routes(rest, view, check, service, restFacade, auth);
  }

  private routes(rest: Map<string, CompiledOperation>, view: SchemaView, check: TransformContext['check'], service: string, restFacade: boolean, auth?: BundleAuth): { router: Router<ApiRoute>; routes: RouteDescription[] } {
    const router = new Router<ApiRoute>();
    const descriptions: RouteDescription[] = [];
    const taken = new Map<string, string>();
    const custom: { template: RouteTemplate; route: ApiRoute }[] = [];
    for (const [name, op] of rest) {
      const spec = this.op(name);
      if (spec.route === undefined && spec.request === undefined && spec.response === undefined) continue;
      const at: MappingPath = ['operations', name];
      let template: RouteTemplate;
      try {
        template = parseRoute(spec.route ?? `POST /${name}`);
      } catch (e) {
        if (!(e instanceof RouteSyntaxError)) throw e;
        this.diags.error(this.where([...at, 'route']), `${formatPath([...at, 'route'])}: ${e.message}`);
        continue;
      }
      const shape = routeShape(template);
      const other = taken.get(shape);
      if (other) {
        this.diags.error(this.where([...at, 'route']), `${formatPath([...at, 'route'])}: ${template.method} ${template.path} is already the route of ${other}`);
        continue;
      }
      taken.set(shape, name);
      const defaultBody = BODY_METHODS.has(template.method);
      const request = compileTransform(
        spec.request,
        this.transformContext(view, check, [...at, 'request'], { label: 'request', defaultBody, outSchema: view.def(op.inputDef), outName: `${name}'s SOAP input`, params: { places: ['path', 'query', 'header'], pathNames: template.params } }),
      );
      if (spec.response !== undefined && !op.outputDef) {
        this.diags.error(this.where([...at, 'response'], true), `${formatPath([...at, 'response'])}: ${name} is one-way; it has no response to shape`);
      }
      const response = op.outputDef
        ? compileTransform(spec.response, this.transformContext(view, check, [...at, 'response'], { label: 'response', defaultBody: true, inSchema: view.def(op.outputDef), inName: `${name}'s SOAP output` }))
        : identityTransform();
      custom.push({ template, route: { op, isDefault: false, method: template.method, request, response, acceptsBody: request.keepBody || request.bodySources, auth: auth?.forOperation(name) } });
    }
    if (!restFacade) {
      for (const name of Object.keys(this.mapping.operations ?? {})) {
        const spec = this.op(name);
        if (spec.route !== undefined) this.diags.warn(this.where(['operations', name, 'route']), `operations.${name}.route has no effect: the service has no REST facade (it sets restBackend only)`);
      }
      return { router, routes: descriptions };
    }
    if (this.mapping.defaultRoutes !== false) {
      for (const [name, op] of rest) {
        const template = parseRoute(`POST /${encodeURIComponent(name)}`);
        if (taken.has(routeShape(template))) continue;
        const route: ApiRoute = { op, isDefault: true, method: 'POST', request: identityTransform(), response: identityTransform(), acceptsBody: true, auth: auth?.forOperation(name) };
        router.add(template, route);
        descriptions.push(describeRoute(route, template, service, view));
      }
    }
    for (const { template, route } of custom) {
      router.add(template, route);
      descriptions.push(describeRoute(route, template, service, view));
    }
    return { router, routes: descriptions };
  }
}
