/**
 * Bundle compilation: WSDL + XSD + mapping.yaml -> compiled operations, each with its JSON
 * Schema validators (ajv, compiled once) and its codec. This is the only place that reads
 * the WSDL; requests use what it returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv } from './ajv';
import { NamespaceTable, SimpleCodecs } from './codec';
import { Decoders } from './decoder';
import { EncodedCodec } from './encoded';
import { Encoders } from './encoder';
import { Diagnostics, LoadError, type Diagnostic } from './diagnostics';
import { JsonSchemaBuilder, type JsonSchema } from './json-schema';
import { loadDocuments } from './loader';
import { compileOperation, isEncodedRpc, type Codecs, type CompiledOperation } from './operation';
import { PublishedContract } from './publish';
import { compileStrictSchema, type StrictSchema } from './strict';
import { WsdlCompiler } from './wsdl';
import { SchemaSet } from './xsd';
import { emptyMapping, loadMapping, type Mapping } from '../mapping';
import { MappingCompiler, type ApiRoute } from '../mapping/compile';
import { BundleAuth } from '../auth/bundle';
import { authFailureRule, type AuthFailureRule } from '../ratelimit/auth-failures';
import type { Authenticator } from '../auth';
import type { Router } from '../mapping/routes';
import type { OperationModel, SoapVersion } from '../model/operation';
import type { RouteDescription } from '../model/route';

export { genericJson, type CompiledOperation } from './operation';

export interface Bundle {
  name: string;
  dir: string;
  wsdlFile: string;
  /** Every file the bundle was built from (WSDL, imports, mapping). */
  files: string[];
  /**
   * Files of `files` that were read but could not be used (an imported XSD that is not
   * well-formed): what they define is read as xs:anyType, with warnings. Hot reload refuses a
   * version with such a file the served version did not have (a half-saved edit).
   */
  unusable: string[];
  mapping: Mapping;
  /** Operations of the REST facade, by WSDL operation name. Empty when the facade is off. */
  operations: Map<string, CompiledOperation>;
  /** Every operation of every SOAP binding (both versions), as loaded. */
  models: OperationModel[];
  restFacade: boolean;
  /**
   * The REST facade's bundle-level authentication (mapping `auth:`): a request for a route the
   * service does not have must pass it before it gets a 404 or 405.
   */
  restAuth?: Authenticator;
  /** Failed authentications allowed per caller address (mapping `authFailures`); undefined: no protection. */
  authFailures?: AuthFailureRule;
  /** SOAP callers reach restBackend (the SOAP facade). */
  soapFacade: boolean;
  /** Compiled operations of every SOAP binding, by SOAP version, by the first element of their input Body. */
  soapOperations: Map<SoapVersion, Map<string, CompiledOperation[]>>;
  /** The WSDL and its imports as `GET /soap/{service}?wsdl` serves them. */
  contract: PublishedContract;
  schema: JsonSchema;
  /** The REST facade's routes as callers see them (for OpenAPI); empty when the facade is off. */
  routes: RouteDescription[];
  /** The REST facade's routes as requests meet them, below `/api/{service}`. */
  router: Router<ApiRoute>;
  /**
   * `validation: strict`: the schema set compiled by libxml2 (wasm memory). A request holds it
   * with `retain()`; whoever stops serving the bundle calls `retire()`.
   */
  strict?: StrictSchema;
}

export interface BundleResult {
  bundle?: Bundle;
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Compile every validator and codec at load whatever the WSDL's size (`validate` does: it must
   * report what does not compile). Otherwise big WSDLs leave them to first use or to warmUp().
   */
  eager?: boolean;
}

/**
 * Distinct message schemas above which validators are compiled on first use rather than at
 * load: ajv takes 5 to 15 ms per message schema, so a WSDL of a few hundred operations would
 * spend seconds of its start-up on them (see README, Performance).
 */
export const LAZY_VALIDATORS_ABOVE = 100;

interface BundleSource {
  dir: string;
  wsdlFile?: string;
  mappingFile?: string;
  defaultName: string;
}

function pickWsdl(src: BundleSource, mapping: Mapping, diags: Diagnostics): string | undefined {
  if (src.wsdlFile) return src.wsdlFile;
  if (mapping.wsdl) return path.resolve(src.dir, mapping.wsdl);
  let names: string[];
  try {
    names = fs.readdirSync(src.dir).filter((f) => f.toLowerCase().endsWith('.wsdl'));
  } catch (e) {
    diags.error({ file: src.dir, line: 1, col: 1 }, `cannot read bundle folder: ${(e as Error).message}`);
    return undefined;
  }
  if (names.length === 1) return path.join(src.dir, names[0]);
  const where = src.mappingFile ?? src.dir;
  if (names.length === 0) diags.error({ file: where, line: 1, col: 1 }, 'no .wsdl file in the bundle folder');
  else diags.error({ file: where, line: 1, col: 1 }, `several .wsdl files (${names.join(', ')}): set \`wsdl:\` in mapping.yaml`);
  return undefined;
}

function compile(src: BundleSource, options: CompileOptions): BundleResult {
  const diags = new Diagnostics();
  const env = options.env ?? process.env;
  const loaded = src.mappingFile ? loadMapping(src.mappingFile, env, diags) : emptyMapping();
  const mapping = loaded.mapping;
  if (diags.hasErrors) return { diagnostics: diags.list };
  const wsdlFile = pickWsdl(src, mapping, diags);
  if (!wsdlFile) return { diagnostics: diags.list };
  const docs = loadDocuments(wsdlFile, diags);
  if (!docs) return { diagnostics: diags.list };
  const schemas = new SchemaSet(docs.schemas, diags, docs.unreadable);
  const wsdl = new WsdlCompiler(docs, schemas, diags);
  const models = wsdl.operations();
  const name = mapping.name ?? src.defaultName;
  const schemaBuilder = new JsonSchemaBuilder(`urn:soap-bridge:bundle:${encodeURIComponent(name)}`);
  const simple = new SimpleCodecs();
  const ns = new NamespaceTable(wsdl.preferredPrefixes);
  const builtin = (local: string): ReturnType<SchemaSet['builtin']> | undefined => {
    try {
      return schemas.builtin(local);
    } catch {
      return undefined;
    }
  };
  const codec: Codecs = {
    ns,
    encoders: new Encoders(ns, simple),
    decoders: new Decoders(simple, builtin),
    encoded: new EncodedCodec(ns, simple, (q) => schemas.typeForXsiType(q)),
  };

  // JSON Schema definitions for every operation of every binding: problems surface at load.
  const defs = new Map<OperationModel, { input: string; output?: string }>();
  for (const m of models) {
    try {
      defs.set(m, {
        input: schemaBuilder.defFor(m.input.type, `${m.name}Request`, isEncodedRpc(m.input)),
        output: m.output ? schemaBuilder.defFor(m.output.type, `${m.name}Response`, isEncodedRpc(m.output)) : undefined,
      });
    } catch (e) {
      if (e instanceof LoadError) diags.warn(e.pos, `operation ${m.name} is disabled: ${e.message}`);
      else throw e;
    }
  }
  const mc = new MappingCompiler(loaded, models, schemas, schemaBuilder, diags);
  mc.checkNames();
  mc.prepareHeaders();
  for (const w of schemaBuilder.warnings) diags.warn(w.pos, w.message);

  // Strict mode: one libxml2 schema set for the bundle; it covers document/literal messages.
  let strict: StrictSchema | undefined;
  if (mapping.validation === 'strict') {
    for (const m of models) {
      if (!defs.has(m) || !(m.style === 'rpc' || m.input.encoded || m.output?.encoded)) continue;
      defs.delete(m);
      diags.warn(m.pos, `operation ${m.name} is disabled: validation: strict checks document/literal messages, and this operation is ${m.style === 'rpc' ? 'rpc' : 'encoded'}`);
    }
    strict = compileStrictSchema(docs, diags, loaded.where(['validation']));
  }
  try {
    const fail = (): BundleResult => {
      strict?.retire();
      return { diagnostics: diags.list };
    };

    const restFacade = !(mapping.restBackend && !mapping.soapBackend);
    const soapFacade = mapping.restBackend !== undefined;
    const chosen = mc.restModels((m) => defs.has(m));

    // Validators are compiled at load (a schema ajv cannot compile disables its operation there)
    // unless the WSDL is big: then each is compiled on first use or by warmUp(), and the document
    // is given to ajv then too (ajv walks all of it). See README, Big WSDLs.
    const lazy = !options.eager && new Set([...defs.values()].flatMap((d) => (d.output ? [d.input, d.output] : [d.input]))).size > LAZY_VALIDATORS_ABOVE;
    const schema = schemaBuilder.document();
    const ajv = createAjv();
    let schemaAdded = false;
    const bundleAjv = (): typeof ajv => {
      // Not checked against the meta-schema: the document is generated here, and checking it
      // costs a tenth of the load of a big WSDL.
      if (!schemaAdded) ajv.addSchema(schema, undefined, undefined, false);
      schemaAdded = true;
      return ajv;
    };
    if (!lazy) bundleAjv();
    const validator = (def: string): ValidateFunction => bundleAjv().getSchema(`${schemaBuilder.id}#/$defs/${def}`)!;

    const operations = new Map<string, CompiledOperation>();
    const all: CompiledOperation[] = [];
    const soapOperations = new Map<SoapVersion, Map<string, CompiledOperation[]>>();
    for (const m of models) {
      const d = defs.get(m);
      if (!d) continue;
      let op: CompiledOperation;
      try {
        op = compileOperation(m, d, validator, codec, mc.settings(m), lazy, strict);
      } catch (e) {
        diags.warn(m.pos, `operation ${m.name} is disabled: its validators do not compile (${(e as Error).message})`);
        continue;
      }
      all.push(op);
      let byKey = soapOperations.get(m.soapVersion);
      if (!byKey) soapOperations.set(m.soapVersion, (byKey = new Map()));
      byKey.set(op.dispatchKey, [...(byKey.get(op.dispatchKey) ?? []), op]);
      if (chosen.get(m.name) === m && restFacade) {
        operations.set(m.name, op);
        if (!op.endpoint) {
          diags.warn(m.pos, `operation ${m.name}: no SOAP endpoint (no soapBackend in mapping.yaml and no soap:address in the WSDL); calls answer 502`);
        }
      }
    }
    if (defs.size === 0 && !diags.hasErrors) {
      const disabled = diags.list.some((d) => d.message.includes(' is disabled: '));
      diags.error(docs.wsdls[0].node.pos, disabled ? 'no operation of the WSDL could be compiled (see the warnings above for each)' : 'the SOAP bindings of the WSDL define no operation');
    }
    if (diags.hasErrors) return fail();
    // REST facade authentication (auth:); its key files belong to the bundle (hot reload, hash).
    const auth = new BundleAuth(mapping, loaded.where, src.dir, name, diags, restFacade);
    const authFailures = authFailureRule(mapping, name, loaded.where, diags);
    const { router, routes } = mc.finish(all, operations, bundleAjv, schema, codec, name, restFacade, soapFacade, auth);
    if (diags.hasErrors) return fail();
    const files = [...docs.files, ...auth.files];
    if (loaded.file) files.push(loaded.file);
    for (const f of mc.extraFiles) if (!files.includes(f)) files.push(f);
    return {
      bundle: { name, dir: src.dir, wsdlFile, files, unusable: [...docs.unusable.keys()], mapping, operations, models, restFacade, restAuth: restFacade ? auth.service : undefined, authFailures, soapFacade, soapOperations, contract: new PublishedContract(docs), schema, routes, router, strict },
      diagnostics: diags.list,
    };

  } catch (e) {
    // An unexpected failure must not leave the libxml2 schema allocated.
    strict?.retire();
    throw e;
  }
}

/** Compiles one bundle folder (mapping.yaml optional). */
export function compileBundleDir(dir: string, options: CompileOptions = {}): BundleResult {
  const abs = path.resolve(dir);
  return compile({ dir: abs, mappingFile: path.join(abs, 'mapping.yaml'), defaultName: path.basename(abs) }, options);
}

/** Compiles a lone WSDL as a bundle with the default mapping. */
export function compileWsdlFile(file: string, options: CompileOptions = {}): BundleResult {
  const abs = path.resolve(file);
  return compile({ dir: path.dirname(abs), wsdlFile: abs, defaultName: path.basename(abs).replace(/\.[^.]*$/, '') }, options);
}

/** Compiles every bundle folder of a services directory. */
export function compileServices(dir: string, options: CompileOptions = {}): { bundles: Bundle[]; diagnostics: Diagnostic[] } {
  const abs = path.resolve(dir);
  const diagnostics: Diagnostic[] = [];
  const bundles: Bundle[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(abs, { withFileTypes: true });
  } catch (e) {
    diagnostics.push({ severity: 'error', file: abs, line: 1, col: 1, message: `cannot read services folder: ${(e as Error).message}` });
    return { bundles, diagnostics };
  }
  const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (dirs.length === 0) diagnostics.push({ severity: 'error', file: abs, line: 1, col: 1, message: 'no service bundles (one folder per service, each with a .wsdl)' });
  const names = new Map<string, string>();
  for (const d of dirs) {
    const result = compileBundleDir(path.join(abs, d), options);
    diagnostics.push(...result.diagnostics);
    if (!result.bundle) continue;
    const other = names.get(result.bundle.name);
    if (other) {
      diagnostics.push({ severity: 'error', file: path.join(abs, d, 'mapping.yaml'), line: 1, col: 1, message: `service name "${result.bundle.name}" is already used by ${other}` });
      continue;
    }
    names.set(result.bundle.name, d);
    bundles.push(result.bundle);
  }
  return { bundles, diagnostics };
}
