/**
 * Bundle compilation: WSDL + XSD + mapping.yaml -> compiled operations, each with its JSON
 * Schema validators (ajv, compiled once) and its codec. This is the only place that reads
 * the WSDL; requests use what it returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv, violationsOf } from './ajv';
import { NamespaceTable, SimpleCodecs, XSI_NS, type Violation } from './codec';
import { Decoders, newContext, type StreamDecoder } from './decoder';
import { Encoders } from './encoder';
import { Diagnostics, LoadError, type Diagnostic } from './diagnostics';
import { JsonSchemaBuilder, type JsonSchema } from './json-schema';
import { loadDocuments } from './loader';
import { WsdlCompiler } from './wsdl';
import { SchemaSet } from './xsd';
import { loadMapping, type Mapping } from '../mapping';
import type { OperationModel, SoapVersion } from '../model/operation';
import type { XsdType } from '../model/xsd';
import { clark } from '../model/xsd';
import { envelopeClose, envelopeOpen } from '../soap/envelope';
import { outerXml, type XElem } from '../xml/reader';
import { END, isBlank, TEXT, XmlStream } from '../xml/stream';

export interface CompiledOperation {
  readonly name: string;
  readonly model: OperationModel;
  readonly soapVersion: SoapVersion;
  readonly soapAction: string;
  /** The SOAP endpoint JSON callers reach; undefined when neither mapping nor WSDL gives one. */
  readonly endpoint: string | undefined;
  readonly timeoutMs: number | undefined;
  /** `$defs` names of the input and output types in the bundle's JSON Schema document. */
  readonly inputDef: string;
  readonly outputDef: string | undefined;
  validateInput(value: unknown): Violation[] | undefined;
  validateOutput(value: unknown): Violation[] | undefined;
  /** The whole request envelope for a (valid) JSON input. */
  encodeRequest(value: unknown): string;
  /**
   * JSON of a reply's Body (not a Fault), read from the tokenizer just after the Body's start
   * tag, up to and including its end tag. Decoding problems are returned, not thrown.
   */
  decodeReply(s: XmlStream): { value: unknown; errors: Violation[] };
  /** JSON form of a fault's detail content, typed where the WSDL declares the fault element. */
  decodeFaultDetail(detail: XElem, src: string): unknown;
}

export interface Bundle {
  name: string;
  dir: string;
  wsdlFile: string;
  /** Every file the bundle was built from (WSDL, imports, mapping). */
  files: string[];
  mapping: Mapping;
  /** Operations of the REST facade, by WSDL operation name. Empty when the facade is off. */
  operations: Map<string, CompiledOperation>;
  /** Every operation of every SOAP binding (both versions), as loaded. */
  models: OperationModel[];
  restFacade: boolean;
  schema: JsonSchema;
}

export interface BundleResult {
  bundle?: Bundle;
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  env?: NodeJS.ProcessEnv;
}

interface BundleSource {
  dir: string;
  wsdlFile?: string;
  mappingFile?: string;
  defaultName: string;
}

/** Namespaces an element tree of `t` may use, for the envelope's declarations. */
function namespacesOf(t: XsdType, acc: Set<string>, seen: Set<XsdType>): void {
  if (t.kind !== 'complex' || seen.has(t)) return;
  seen.add(t);
  for (const a of t.attributes) if (a.name.ns) acc.add(a.name.ns);
  if (t.content.kind !== 'elements') return;
  const walk = (p: import('../model/xsd').Particle): void => {
    if (p.kind === 'element') {
      if (p.decl.name.ns) acc.add(p.decl.name.ns);
      namespacesOf(p.decl.type, acc, seen);
    } else if (p.kind !== 'any') p.items.forEach(walk);
  };
  walk(t.content.particle);
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
  const mapping = src.mappingFile ? loadMapping(src.mappingFile, env, diags) : {};
  if (diags.hasErrors) return { diagnostics: diags.list };
  const wsdlFile = pickWsdl(src, mapping, diags);
  if (!wsdlFile) return { diagnostics: diags.list };
  const docs = loadDocuments(wsdlFile, diags);
  if (!docs) return { diagnostics: diags.list };
  const schemas = new SchemaSet(docs.schemas);
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
  const codec: Codecs = { ns, encoders: new Encoders(ns, simple), decoders: new Decoders(simple, builtin) };

  // JSON Schema definitions for every operation of every binding: problems surface at load.
  const defs = new Map<OperationModel, { input: string; output?: string }>();
  for (const m of models) {
    try {
      defs.set(m, {
        input: schemaBuilder.defFor(m.input.type, `${m.name}Request`),
        output: m.output ? schemaBuilder.defFor(m.output.type, `${m.name}Response`) : undefined,
      });
    } catch (e) {
      if (e instanceof LoadError) diags.warn(e.pos, `operation ${m.name} is disabled: ${e.message}`);
      else throw e;
    }
  }
  for (const w of schemaBuilder.warnings) diags.warn(w.pos, w.message);

  const restFacade = !(mapping.restBackend && !mapping.soapBackend);
  const preferred: SoapVersion = mapping.soapVersion ?? '1.1';
  const chosen = new Map<string, OperationModel>();
  for (const m of models) {
    if (!defs.has(m)) continue;
    const have = chosen.get(m.name);
    if (!have || (have.soapVersion !== preferred && m.soapVersion === preferred)) chosen.set(m.name, m);
  }
  if (mapping.soapVersion && models.length > 0 && ![...chosen.values()].some((m) => m.soapVersion === mapping.soapVersion)) {
    diags.warn({ file: src.mappingFile ?? wsdlFile, line: 1, col: 1 }, `soapVersion ${mapping.soapVersion}: the WSDL has no SOAP ${mapping.soapVersion} binding; using the one it has`);
  }

  const ajv = createAjv();
  const schema = schemaBuilder.document();
  ajv.addSchema(schema);
  const validator = (def: string): ValidateFunction => ajv.getSchema(`${schemaBuilder.id}#/$defs/${def}`)!;

  const operations = new Map<string, CompiledOperation>();
  for (const m of models) {
    const d = defs.get(m);
    if (!d) continue;
    let op: CompiledOperation;
    try {
      op = compileOperation(m, d, validator, codec, mapping);
    } catch (e) {
      diags.warn(m.pos, `operation ${m.name} is disabled: its validators do not compile (${(e as Error).message})`);
      continue;
    }
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
  if (diags.hasErrors) return { diagnostics: diags.list };
  const files = [...docs.files];
  if (src.mappingFile && fs.existsSync(src.mappingFile)) files.push(src.mappingFile);
  return {
    bundle: { name, dir: src.dir, wsdlFile, files, mapping, operations, models, restFacade, schema },
    diagnostics: diags.list,
  };
}

interface Codecs {
  ns: NamespaceTable;
  encoders: Encoders;
  decoders: Decoders;
}

function compileOperation(
  m: OperationModel,
  defs: { input: string; output?: string },
  validator: (def: string) => ValidateFunction,
  codec: Codecs,
  mapping: Mapping,
): CompiledOperation {
  const validateIn = validator(defs.input);
  const validateOut = defs.output ? validator(defs.output) : undefined;

  // Request envelope: namespaces declared once on the Envelope, then the Body content.
  const nsSet = new Set<string>();
  namespacesOf(m.input.type, nsSet, new Set());
  if (m.input.wrapper?.ns) nsSet.add(m.input.wrapper.ns);
  const head = envelopeOpen(m.soapVersion, ` xmlns:xsi="${XSI_NS}"${codec.ns.declarations(nsSet)}`);
  const tail = envelopeClose();
  const input = m.input;
  let body: (v: unknown) => string;
  if (input.wrapper) {
    const enc = codec.encoders.contentEncoder(input.type);
    const tag = codec.ns.tag(input.wrapper);
    body = (v) => enc(tag, v);
  } else {
    const enc = codec.encoders.innerEncoder(input.type);
    body = (v) => enc(v as Record<string, unknown>);
  }

  const output = m.output;
  const decodeOut = output ? codec.decoders.complexType(output.type) : undefined;
  const faultDecoders = new Map<string, StreamDecoder>();
  for (const f of m.faults) if (f.element) faultDecoders.set(clark(f.element.name), codec.decoders.element(f.element));

  return {
    name: m.name,
    model: m,
    soapVersion: m.soapVersion,
    soapAction: m.soapAction,
    endpoint: mapping.soapBackend ?? (mapping.restBackend ? undefined : m.address),
    timeoutMs: mapping.timeoutMs,
    inputDef: defs.input,
    outputDef: defs.output,
    validateInput(value) {
      return validateIn(value) ? undefined : violationsOf(validateIn.errors);
    },
    validateOutput(value) {
      if (!validateOut) return undefined;
      return validateOut(value) ? undefined : violationsOf(validateOut.errors);
    },
    encodeRequest(value) {
      return head + body(value) + tail;
    },
    decodeReply(s) {
      const ctx = newContext();
      if (!output || !decodeOut) {
        s.skipContent();
        return { value: {}, errors: [] };
      }
      // bare: the Body's children are the parts, read like the content of an element.
      if (!output.wrapper) return { value: decodeOut(s, ctx), errors: ctx.errors };
      const w = output.wrapper;
      let value: unknown;
      let count = 0;
      for (let t = s.next(); t !== END; t = s.next()) {
        if (t === TEXT) {
          if (!isBlank(s.text)) ctx.errors.push({ pointer: '', detail: 'the SOAP Body holds text' });
          continue;
        }
        if (++count > 1) {
          s.skipElement();
          continue;
        }
        const nameOk = output.style === 'rpc' ? s.ns === w.ns : s.ns === w.ns && s.local === w.local;
        if (!nameOk) {
          ctx.errors.push({ pointer: '', detail: `expected ${clark(w)} in the SOAP Body, found ${clark(s)}` });
          s.skipElement();
          continue;
        }
        value = decodeOut(s, ctx);
      }
      if (count !== 1) ctx.errors.push({ pointer: '', detail: `the SOAP Body must hold one element, found ${count}` });
      return { value, errors: ctx.errors };
    },
    decodeFaultDetail(detail, src) {
      const counts = countByLocal(detail.children);
      const out: Record<string, unknown> = {};
      for (const child of detail.children) {
        const typed = faultDecoders.get(clark(child));
        let v: unknown;
        if (typed) {
          // Faults are rare: the typed decoder reads the detail entry again, self-contained.
          const ctx = newContext();
          const one = new XmlStream(outerXml(src, child));
          one.next();
          v = typed(one, ctx);
          if (ctx.errors.length) v = undefined;
        }
        if (v === undefined) v = genericJson(child);
        if ((counts.get(child.local) ?? 0) > 1) ((out[child.local] ??= []) as unknown[]).push(v);
        else out[child.local] = v;
      }
      return out;
    },
  };
}

function countByLocal(children: XElem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of children) counts.set(c.local, (counts.get(c.local) ?? 0) + 1);
  return counts;
}

/** JSON form of XML without a schema: attributes and child elements by local name, text as string. */
export function genericJson(el: XElem): unknown {
  const attrs = el.attrs.filter((a) => a.ns !== XSI_NS);
  if (el.children.length === 0 && attrs.length === 0) return el.text;
  const counts = countByLocal(el.children);
  const out: Record<string, unknown> = {};
  for (const a of attrs) out[counts.has(a.local) ? `@${a.local}` : a.local] = a.value;
  for (const c of el.children) {
    const v = genericJson(c);
    if ((counts.get(c.local) ?? 0) > 1) ((out[c.local] ??= []) as unknown[]).push(v);
    else out[c.local] = v;
  }
  if (el.children.length === 0 || /\S/.test(el.text)) out.$value = el.text;
  return out;
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
