/**
 * One compiled operation: its validators and the envelope writers and Body readers of both
 * its messages. The same pair serves both facades: the REST facade writes the input and reads
 * the output; the SOAP facade reads the input and writes the output.
 */
import type { ValidateFunction } from 'ajv';
import { violationsOf } from './ajv';
import { XSI_NS, type NamespaceTable, type Violation } from './codec';
import { newContext, type Decoders, type StreamDecoder } from './decoder';
import type { EncodedCodec } from './encoded';
import type { Encoders } from './encoder';
import type { OperationSettings } from '../mapping/compile';
import type { CircuitBreakerSpec } from '../mapping';
import type { FaultRule, SoapFaultRule } from '../mapping/faults';
import type { HeaderBlock } from '../mapping/headers';
import type { RestCall } from '../mapping/rest-call';
import type { RateLimitRule } from '../ratelimit/rule';
import type { UsernameToken } from '../soap/wssecurity';
import type { OutboundTls } from '../tls/outbound';
import type { UsernameTokenVerifier } from '../auth/wss/verify';
import type { MessageShape, OperationModel, SoapVersion } from '../model/operation';
import type { ElementDecl, Particle, XsdType } from '../model/xsd';
import { clark } from '../model/xsd';
import { envelopeClose, envelopeNs } from '../soap/envelope';
import type { StrictSchema } from './strict';
import { outerXml, type XElem } from '../xml/reader';
import { END, isBlank, TEXT, UNLIMITED_READ_LIMITS, XmlStream } from '../xml/stream';

/** What the mapping adds to an operation at request time (mapping/compile.ts fills it in). */
export interface OperationPolicy {
  /** REST facade: a backend's SOAP Fault -> HTTP status and problem type. */
  faultRules: FaultRule[];
  /** SOAP facade: a JSON service's HTTP status -> fault code. */
  soapFaultRules: SoapFaultRule[];
  /** REST facade: header blocks added to the request envelope. */
  headers: HeaderBlock[];
  security?: UsernameToken;
  /** SOAP facade: the inbound WS-Security UsernameToken check (`soapAuth`). */
  soapAuth?: UsernameTokenVerifier;
  /** SOAP facade: the call to the JSON service; undefined without a SOAP facade. */
  restCall?: RestCall;
  /** Both facades: the rate limit requests are counted under; undefined: none (src/ratelimit). */
  rateLimit?: RateLimitRule;
}

export interface CompiledOperation {
  readonly name: string;
  readonly model: OperationModel;
  readonly soapVersion: SoapVersion;
  readonly soapAction: string;
  /** The SOAP endpoint JSON callers reach; undefined when neither mapping nor WSDL gives one. */
  readonly endpoint: string | undefined;
  /** The JSON service's base URL (restBackend) SOAP callers reach; undefined without one. */
  readonly restBase: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly connectTimeoutMs: number | undefined;
  /** Marked idempotent in the mapping: retried after a connection error, timeout or 502-504. */
  readonly idempotent: boolean;
  /** The bundle's circuit breaker; undefined: the global one. */
  readonly circuitBreaker: CircuitBreakerSpec | undefined;
  /** Outbound TLS of its backend (mapping key `tls`). */
  readonly tls: OutboundTls | undefined;
  /** Expanded name of the first element of the input Body ('' for an empty Body): how SOAP requests find the operation. */
  readonly dispatchKey: string;
  /** `$defs` names of the input and output types in the bundle's JSON Schema document. */
  readonly inputDef: string;
  readonly outputDef: string | undefined;
  validateInput(value: unknown): Violation[] | undefined;
  validateOutput(value: unknown): Violation[] | undefined;
  /** Set once, at load, by the mapping compiler. */
  policy: OperationPolicy;
  /** The whole request envelope for a (valid) JSON input, with optional header blocks. */
  encodeRequest(value: unknown, header?: string): string;
  /** The whole response envelope for a (valid) JSON output. */
  encodeResponse(value: unknown): string;
  /**
   * JSON of a request's or a reply's Body, read from the tokenizer just after the Body's start
   * tag, up to and including its end tag. Decoding problems are returned, not thrown.
   */
  decodeRequest(s: XmlStream): { value: unknown; errors: Violation[] };
  decodeReply(s: XmlStream): { value: unknown; errors: Violation[] };
  /** JSON form of a fault's detail content, typed where the WSDL declares the fault element. */
  decodeFaultDetail(detail: XElem, src: string): unknown;
  /**
   * Builds whatever was left to first use (validators and codecs of an operation of a big
   * WSDL); true when something was built. Throws what the build throws.
   */
  warm(): boolean;
  /**
   * Strict mode (`validation: strict`): libxml2's verdict on the Body of a whole request or
   * response envelope, as violations with JSON Pointers into the message's JSON form; undefined
   * when the bundle is not in strict mode.
   */
  readonly strictInput?: (envelope: string) => Violation[];
  readonly strictOutput?: (envelope: string) => Violation[];
}

export interface Codecs {
  ns: NamespaceTable;
  encoders: Encoders;
  decoders: Decoders;
  /** rpc/encoded messages (SOAP 1.1 section 5). */
  encoded: EncodedCodec;
}

/** Whether a message is written and read with SOAP encoding (rpc style, use="encoded"). */
export function isEncodedRpc(shape: MessageShape | undefined): boolean {
  return shape !== undefined && shape.encoded && shape.style === 'rpc' && shape.wrapper !== undefined;
}

/** Namespaces an element tree of `t` may use, for the envelope's declarations. */
function namespacesOf(t: XsdType, acc: Set<string>, seen: Set<XsdType>): void {
  if (t.kind !== 'complex' || seen.has(t)) return;
  seen.add(t);
  for (const a of t.attributes) if (a.name.ns) acc.add(a.name.ns);
  if (t.content.kind !== 'elements') return;
  const walk = (p: Particle): void => {
    if (p.kind === 'element') {
      if (p.decl.name.ns) acc.add(p.decl.name.ns);
      namespacesOf(p.decl.type, acc, seen);
    } else if (p.kind !== 'any') p.items.forEach(walk);
  };
  walk(t.content.particle);
}

/**
 * Writes whole envelopes of a message: namespaces declared once on the Envelope (those of the
 * Body content and of any header elements), then the optional Header and the Body content.
 */
function envelopeWriter(version: SoapVersion, shape: MessageShape | undefined, codec: Codecs, headerElements: ElementDecl[] = []): (value: unknown, header?: string) => string {
  if (shape && isEncodedRpc(shape)) {
    const headerNs = new Set<string>();
    for (const h of headerElements) {
      if (h.name.ns) headerNs.add(h.name.ns);
      namespacesOf(h.type, headerNs, new Set());
    }
    return codec.encoded.envelopeWriter(version, shape, headerNs);
  }
  const nsSet = new Set<string>();
  if (shape) namespacesOf(shape.type, nsSet, new Set());
  if (shape?.wrapper?.ns) nsSet.add(shape.wrapper.ns);
  for (const h of headerElements) {
    if (h.name.ns) nsSet.add(h.name.ns);
    namespacesOf(h.type, nsSet, new Set());
  }
  const start = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${envelopeNs(version)}" xmlns:xsi="${XSI_NS}"${codec.ns.declarations(nsSet)}>`;
  const head = start + '<soap:Body>';
  const open = (header: string | undefined): string => (header ? `${start}<soap:Header>${header}</soap:Header><soap:Body>` : head);
  const tail = envelopeClose();
  if (!shape) return (_v, header) => open(header) + tail;
  if (shape.wrapper) {
    const enc = codec.encoders.contentEncoder(shape.type);
    const tag = codec.ns.tag(shape.wrapper);
    return (v, header) => open(header) + enc(tag, v) + tail;
  }
  const enc = codec.encoders.innerEncoder(shape.type);
  return (v, header) => open(header) + enc(v as Record<string, unknown>) + tail;
}

/** Reads the Body content of a message (from just after the Body's start tag to its end tag). */
function bodyReader(shape: MessageShape | undefined, decoder: StreamDecoder | undefined, codec: Codecs): (s: XmlStream) => { value: unknown; errors: Violation[] } {
  if (shape && isEncodedRpc(shape)) return codec.encoded.bodyReader(shape);
  return (s) => {
    const ctx = newContext();
    if (!shape || !decoder) {
      s.skipContent();
      return { value: {}, errors: [] };
    }
    // bare: the Body's children are the parts, read like the content of an element.
    if (!shape.wrapper) return { value: decoder(s, ctx), errors: ctx.errors };
    const w = shape.wrapper;
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
      const nameOk = shape.style === 'rpc' ? s.ns === w.ns : s.ns === w.ns && s.local === w.local;
      if (!nameOk) {
        ctx.errors.push({ pointer: '', detail: `expected ${clark(w)} in the SOAP Body, found ${clark(s)}` });
        s.skipElement();
        continue;
      }
      value = decoder(s, ctx);
    }
    if (count !== 1) ctx.errors.push({ pointer: '', detail: `the SOAP Body must hold one element, found ${count}` });
    return { value, errors: ctx.errors };
  };
}

/** The expanded name a request of this input shape starts its Body with. */
function dispatchKeyOf(input: MessageShape): string {
  if (input.wrapper) return clark(input.wrapper);
  const content = input.type.content;
  const first = content.kind === 'elements' ? content.particle.items[0] : undefined;
  return first?.kind === 'element' ? clark(first.decl.name) : '';
}

/**
 * `validator` gives the compiled validator of a `$defs` entry. With `lazy`, each of the
 * operation's validators, envelope writers and Body readers is compiled when first used (and
 * kept): ajv needs several milliseconds per schema, and each generated decoder is a function
 * for V8 to compile, which a WSDL of thousands of operations cannot pay at start-up.
 */
export function compileOperation(m: OperationModel, defs: { input: string; output?: string }, validator: (def: string) => ValidateFunction, codec: Codecs, settings: OperationSettings, lazy = false, strict?: StrictSchema): CompiledOperation {
  let validateIn = lazy ? undefined : validator(defs.input);
  let validateOut = lazy || !defs.output ? undefined : validator(defs.output);
  // Lazily, the generated codecs too: they are built when a message of the operation is first met.
  const pending: (() => void)[] = [];
  const later = <A extends unknown[], R>(make: () => (...args: A) => R): ((...args: A) => R) => {
    if (!lazy) return make();
    let f: ((...args: A) => R) | undefined;
    pending.push(() => void (f ??= make()));
    return (...args) => (f ??= make())(...args);
  };
  if (lazy) {
    pending.push(() => void (validateIn ??= validator(defs.input)));
    if (defs.output) pending.push(() => void (validateOut ??= validator(defs.output!)));
  }
  const writeRequest = later(() => envelopeWriter(m.soapVersion, m.input, codec, settings.headerElements));
  const writeResponse = later(() => envelopeWriter(m.soapVersion, m.output, codec));
  const readRequest = later(() => bodyReader(m.input, codec.decoders.complexType(m.input.type), codec));
  const readReply = later(() => bodyReader(m.output, m.output ? codec.decoders.complexType(m.output.type) : undefined, codec));
  const faultDecoders = new Map<string, StreamDecoder>();
  for (const f of m.faults) if (f.element) faultDecoders.set(clark(f.element.name), codec.decoders.element(f.element));

  return {
    name: m.name,
    model: m,
    soapVersion: m.soapVersion,
    soapAction: m.soapAction,
    endpoint: settings.endpoint,
    restBase: settings.restBase,
    timeoutMs: settings.timeoutMs,
    connectTimeoutMs: settings.connectTimeoutMs,
    idempotent: settings.idempotent,
    circuitBreaker: settings.circuitBreaker,
    tls: settings.tls,
    policy: { faultRules: [], soapFaultRules: [], headers: [] },
    dispatchKey: dispatchKeyOf(m.input),
    inputDef: defs.input,
    outputDef: defs.output,
    validateInput(value) {
      const v = (validateIn ??= validator(defs.input));
      return v(value) ? undefined : violationsOf(v.errors);
    },
    validateOutput(value) {
      if (!defs.output) return undefined;
      const v = (validateOut ??= validator(defs.output));
      return v(value) ? undefined : violationsOf(v.errors);
    },
    encodeRequest: writeRequest,
    encodeResponse: writeResponse,
    strictInput: strict ? (envelope) => strict.validate(envelope, m.input) : undefined,
    strictOutput: strict ? (envelope) => strict.validate(envelope, m.output) : undefined,
    decodeRequest: readRequest,
    decodeReply: readReply,
    warm() {
      if (pending.length === 0) return false;
      for (const build of pending.splice(0)) build();
      return true;
    },
    decodeFaultDetail(detail, src) {
      const counts = countByLocal(detail.children);
      const out: Record<string, unknown> = {};
      for (const child of detail.children) {
        const typed = faultDecoders.get(clark(child));
        let v: unknown;
        if (typed) {
          // Faults are rare: the typed decoder reads the detail entry again, self-contained
          // (the reply it comes from was read within the configured limits already).
          const ctx = newContext();
          const one = new XmlStream(outerXml(src, child), UNLIMITED_READ_LIMITS);
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
