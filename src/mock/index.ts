/**
 * `soap-bridge mock FILE.wsdl`: a SOAP endpoint that answers every operation of a WSDL (every
 * SOAP 1.1 and 1.2 binding) with a reply made from the schema, with no backend at all.
 *
 * It is the SOAP facade with the JSON service replaced by a table: requests are read exactly as
 * `POST /soap/{service}` reads them (pipeline/soap-to-rest.ts `readSoapRequest`: envelope,
 * mustUnderstand headers, the operation from the Body's first element, decoding, validation
 * against the input schema), refusals are the facade's Faults (soap/fault.ts), and replies are
 * written by the operation's compiled response encoder. What each operation answers is fixed at
 * start-up: the JSON form of its reply, from `DIR/<Operation>.json` when `--fixtures DIR` has one,
 * else the deterministic sample of its output schema (sample/), checked by the operation's own
 * output validator either way. Every request to an operation gets the same bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileWsdlFile, type Bundle, type CompiledOperation } from '../compile';
import type { Diagnostic } from '../compile/diagnostics';
import { BridgeError } from '../errors/catalogue';
import { didYouMean } from '../mapping';
import type { SoapVersion } from '../model/operation';
import { decodeEnvelope } from '../pipeline/rest-to-soap';
import { readSoapRequest, versionOfContentType, type SoapRequest } from '../pipeline/soap-to-rest';
import { Sampler } from '../sample';
import { faultReply, soapContentType } from '../soap/fault';
import { UnwritableCharError } from '../xml/escape';
import type { Logger } from '../log';
import { jsonOffsets, pointerPosition, positionAt } from './json-positions';
import { startMockServer, type MockServerOptions, type RunningMock } from './server';

export interface MockLoadOptions {
  /** Folder of `<Operation>.json` files: the JSON form of the reply an operation answers with. */
  fixtures?: string;
}

/** What one operation answers, as decided at start-up. */
export interface MockAnswer {
  operation: string;
  /** `sample`: made from the schema; `fixture`: read from a file; `none`: no reply could be made. */
  source: 'sample' | 'fixture' | 'none' | 'one-way';
  /** The JSON form of the reply (sample and fixture). */
  value?: unknown;
  /** The fixture file it came from. */
  file?: string;
  /** Why there is no reply (source `none`): requests get a Server fault saying so. */
  reason?: string;
}

export interface MockReply {
  status: number;
  contentType: string;
  body: string;
  /** The operation answered, once known. */
  operation?: string;
}

/** A loaded mock: the compiled WSDL and the reply of each of its operations. */
export interface MockService {
  bundle: Bundle;
  /** Per compiled operation (one per binding), its answer. */
  answers: Map<CompiledOperation, MockAnswer>;
  /** Answers one SOAP request (synchronously: everything was prepared at start-up). */
  handle(req: SoapRequest, requestId: string): MockReply;
}

export interface MockLoadResult {
  mock?: MockService;
  diagnostics: Diagnostic[];
}

/** Every compiled operation of the bundle, over both SOAP versions. */
export function allOperations(bundle: Bundle): CompiledOperation[] {
  const out: CompiledOperation[] = [];
  for (const byKey of bundle.soapOperations.values()) for (const ops of byKey.values()) out.push(...ops);
  return out;
}

interface Fixture {
  file: string;
  text: string;
  value: unknown;
}

/** Reads `DIR/*.json`; a file that is not JSON, or names no operation, is an error at its position. */
function readFixtures(dir: string, names: Set<string>, diags: Diagnostic[]): Map<string, Fixture> {
  const out = new Map<string, Fixture>();
  const abs = path.resolve(dir);
  let entries: string[];
  try {
    entries = fs.readdirSync(abs).sort();
  } catch (e) {
    diags.push({ severity: 'error', file: abs, line: 1, col: 1, message: `cannot read the fixtures folder: ${(e as Error).message}` });
    return out;
  }
  for (const entry of entries) {
    const file = path.join(abs, entry);
    if (entry.startsWith('.') || !fs.statSync(file).isFile()) continue;
    if (!entry.endsWith('.json')) {
      diags.push({ severity: 'warning', file, line: 1, col: 1, message: 'ignored: fixtures are <Operation>.json files' });
      continue;
    }
    const name = entry.slice(0, -'.json'.length);
    if (!names.has(name)) {
      const hint = didYouMean(name, [...names]);
      diags.push({ severity: 'error', file, line: 1, col: 1, message: `the WSDL has no operation "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; fixtures are named <Operation>.json` });
      continue;
    }
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const message = (e as Error).message;
      const at = /position (\d+)/.exec(message);
      const pos = at ? positionAt(text, Number(at[1])) : { line: 1, col: 1 };
      diags.push({ severity: 'error', file, ...pos, message: `not valid JSON: ${message}` });
      continue;
    }
    out.set(name, { file, text, value });
  }
  return out;
}

/** The envelope, or the Fault, each compiled operation answers with: computed once. */
function prepareReplies(answers: Map<CompiledOperation, MockAnswer>): Map<CompiledOperation, MockReply | BridgeError> {
  const out = new Map<CompiledOperation, MockReply | BridgeError>();
  for (const [op, a] of answers) {
    const contentType = soapContentType(op.soapVersion);
    if (a.source === 'one-way') out.set(op, { status: 202, contentType, body: '', operation: op.name });
    else if (a.source === 'none') out.set(op, new BridgeError('INTERNAL', `the mock has no reply for ${op.name}: ${a.reason}`));
    else {
      try {
        out.set(op, { status: 200, contentType, body: op.encodeResponse(a.value), operation: op.name });
      } catch (e) {
        if (!(e instanceof UnwritableCharError)) throw e;
        out.set(op, new BridgeError('INTERNAL', `the mock's reply for ${op.name} holds a character XML cannot carry`));
      }
    }
  }
  return out;
}

/**
 * Compiles the WSDL and decides every operation's reply. Errors (the WSDL does not load, a
 * fixture is not JSON, names no operation, or breaks the output schema) leave `mock` undefined;
 * an operation whose schema cannot be sampled is a warning, and answers a Server fault.
 */
export function loadMock(wsdlFile: string, options: MockLoadOptions = {}): MockLoadResult {
  const compiled = compileWsdlFile(wsdlFile);
  if (!compiled.bundle) return { diagnostics: compiled.diagnostics };
  // The REST facade's warning about a missing soap:address does not concern a mock, which is the endpoint.
  const relevant = compiled.diagnostics.filter((d) => !(d.severity === 'warning' && d.message.includes(': no SOAP endpoint (')));
  return mockOf(compiled.bundle, options, relevant);
}

/**
 * Why a reply the output schema accepts still cannot go out: what the operation's own reader
 * refuses in its envelope (e.g. an element of an abstract type, which needs a derived type the
 * JSON form cannot name); undefined when it reads back cleanly.
 */
function uncarried(op: CompiledOperation, value: unknown): string | undefined {
  let envelope: string;
  try {
    envelope = op.encodeResponse(value);
  } catch (e) {
    return (e as Error).message;
  }
  const back = decodeEnvelope(op, envelope, 200);
  if ('fault' in back) return 'it reads back as a fault';
  return back.errors.length ? back.errors.map((w) => `${w.pointer || '/'} ${w.detail}`).join('; ') : undefined;
}

/** The mock of a bundle already compiled (`diagnostics`: those of its compilation, kept first). */
export function mockOf(bundle: Bundle, options: MockLoadOptions = {}, diagnostics: Diagnostic[] = []): MockLoadResult {
  const diags: Diagnostic[] = [...diagnostics];
  const ops = allOperations(bundle);
  const fixtures = options.fixtures ? readFixtures(options.fixtures, new Set(ops.map((o) => o.name)), diags) : new Map<string, Fixture>();
  const sampler = new Sampler([bundle.schema]);
  const samples = new Map<string, { ok: true; value: unknown } | { ok: false; reason: string }>();
  const answers = new Map<CompiledOperation, MockAnswer>();
  const reported = new Set<string>();
  for (const op of ops) {
    const fixture = fixtures.get(op.name);
    if (!op.outputDef) {
      if (fixture && !reported.has(fixture.file)) {
        reported.add(fixture.file);
        diags.push({ severity: 'error', file: fixture.file, line: 1, col: 1, message: `${op.name} is a one-way operation: it has no reply to give` });
      }
      answers.set(op, { operation: op.name, source: 'one-way' });
      continue;
    }
    if (fixture) {
      const wrong = op.validateOutput(fixture.value);
      if (wrong) {
        const offsets = jsonOffsets(fixture.text);
        for (const v of wrong) {
          const key = `${fixture.file}\u0000${v.pointer}\u0000${v.detail}`;
          if (reported.has(key)) continue; // the same reply checked for another binding
          reported.add(key);
          diags.push({ severity: 'error', file: fixture.file, ...pointerPosition(fixture.text, offsets, v.pointer), message: `${v.pointer || '(the reply)'} ${v.detail} (output of ${op.name}, SOAP ${op.soapVersion})` });
        }
        continue;
      }
      answers.set(op, { operation: op.name, source: 'fixture', value: fixture.value, file: fixture.file });
      continue;
    }
    let sample = samples.get(op.outputDef);
    if (!sample) {
      sample = sampler.sample({ $ref: `#/$defs/${op.outputDef}` }, bundle.schema);
      if (sample.ok) {
        const wrong = op.validateOutput(sample.value);
        if (wrong) sample = { ok: false, reason: `its sample breaks the output schema (${wrong.map((w) => `${w.pointer || '/'} ${w.detail}`).join('; ')})` };
      }
      samples.set(op.outputDef, sample);
    }
    if (sample.ok) {
      const why = uncarried(op, sample.value);
      if (why) sample = { ok: false, reason: `its sample cannot be carried in SOAP ${op.soapVersion} (${why})` };
    }
    if (sample.ok) answers.set(op, { operation: op.name, source: 'sample', value: sample.value });
    else {
      const reason = sample.reason.startsWith('its sample') ? sample.reason : `no sample of its output schema can be made: ${sample.reason}`;
      answers.set(op, { operation: op.name, source: 'none', reason: `${reason}; give its reply as <fixtures>/${op.name}.json` });
      if (!reported.has(`none\u0000${op.name}`)) {
        reported.add(`none\u0000${op.name}`);
        diags.push({ severity: 'warning', ...op.model.pos, message: `operation ${op.name}: ${reason}; it answers a Server fault unless a fixture gives its reply` });
      }
    }
  }
  if (diags.some((d) => d.severity === 'error')) return { diagnostics: diags };
  const replies = prepareReplies(answers);
  const handle = (req: SoapRequest, requestId: string): MockReply => {
    const ctx: { version?: SoapVersion; operation?: string } = { version: versionOfContentType(req.contentType) };
    try {
      const { op } = readSoapRequest(bundle, req, ctx);
      const reply = replies.get(op)!;
      if (reply instanceof BridgeError) throw reply;
      return reply;
    } catch (e) {
      if (!(e instanceof BridgeError)) throw e;
      return { ...faultReply(e, ctx.version ?? '1.1', requestId), operation: ctx.operation };
    }
  };
  return { mock: { bundle, answers, handle }, diagnostics: diags };
}

/** The mock could not start: the WSDL does not load or a fixture is wrong (see `diagnostics`). */
export class MockLoadError extends Error {
  override name = 'MockLoadError';
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(message);
  }
}

export interface StartMockOptions extends MockLoadOptions, Omit<MockServerOptions, 'logger'> {
  logger: Logger;
}

/** Loads the WSDL (and fixtures) and serves the mock; throws MockLoadError when either is wrong. */
export async function startMock(wsdlFile: string, options: StartMockOptions): Promise<{ mock: MockService; running: RunningMock; diagnostics: Diagnostic[] }> {
  const { mock, diagnostics } = loadMock(wsdlFile, options);
  if (!mock) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    throw new MockLoadError(`${wsdlFile}: the mock cannot start (${errors} error${errors === 1 ? '' : 's'})`, diagnostics);
  }
  const running = await startMockServer(mock, options);
  return { mock, running, diagnostics };
}
