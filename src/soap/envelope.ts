/**
 * SOAP 1.1 and 1.2 envelopes: writing the frame around a Body, reading the frame of a
 * received envelope from the tokenizer, and turning a Fault into the contract's JSON form.
 */
import type { SoapVersion } from '../model/operation';
import type { FaultInfo } from '../errors/catalogue';
import { attrOf, buildTree, resolveQNameIn, type XElem } from '../xml/reader';
import { END, EOF, isBlank, START, TEXT, XML_NS, type XmlStream } from '../xml/stream';

export const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';

export function envelopeNs(version: SoapVersion): string {
  return version === '1.1' ? SOAP11_ENV : SOAP12_ENV;
}

export function versionOfNs(ns: string): SoapVersion | undefined {
  return ns === SOAP11_ENV ? '1.1' : ns === SOAP12_ENV ? '1.2' : undefined;
}

export function envelopeClose(): string {
  return '</soap:Body></soap:Envelope>';
}

/** Content-Type and SOAPAction headers of a request in the given version. */
export function requestHeaders(version: SoapVersion, action: string): Record<string, string> {
  if (version === '1.1') return { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${action.replace(/"/g, '\\"')}"` };
  const ct = action ? `application/soap+xml; charset=utf-8; action="${action.replace(/"/g, '\\"')}"` : 'application/soap+xml; charset=utf-8';
  return { 'content-type': ct };
}

export class EnvelopeError extends Error {
  /** 'version': an Envelope in a namespace that is no SOAP version; 'structure': anything else. */
  constructor(
    message: string,
    readonly kind: 'version' | 'structure' = 'structure',
  ) {
    super(message);
  }
}

/** Next START or END, skipping whitespace; other text is not allowed in the envelope's frame. */
function nextTag(s: XmlStream, where: string): typeof START | typeof END {
  for (;;) {
    const t = s.next();
    if (t === START || t === END) return t;
    if (t === TEXT && !isBlank(s.text)) throw new EnvelopeError(`text is not allowed in the ${where}`);
    if (t === EOF) throw new EnvelopeError(`the ${where} ends early`);
  }
}

function at(s: XmlStream, ns: string, local: string): boolean {
  return s.ns === ns && s.local === local;
}

/** Reads `<Envelope>`, an optional `<Header>` and the start of `<Body>`. */
export function openEnvelope(s: XmlStream): { version: SoapVersion; header?: XElem } {
  s.next();
  const version = versionOfNs(s.ns);
  if (s.local === 'Envelope' && !version) throw new EnvelopeError(`an Envelope in namespace "${s.ns}" is no SOAP version this bridge knows (SOAP 1.1 or 1.2)`, 'version');
  if (!version || s.local !== 'Envelope') throw new EnvelopeError(`expected a SOAP Envelope, found ${s.ns ? `{${s.ns}}` : ''}${s.local}`);
  const ns = envelopeNs(version);
  let header: XElem | undefined;
  for (;;) {
    if (nextTag(s, 'Envelope') === END) throw new EnvelopeError('the Envelope has no Body');
    if (at(s, ns, 'Body')) return { version, header };
    if (at(s, ns, 'Header') && !header) header = buildTree(s);
    else throw new EnvelopeError(`unexpected element ${s.qname} in the Envelope`);
  }
}

/**
 * After the Body's start tag: the Fault, if the Body holds one (read whole, with the rest of the
 * Body); otherwise the stream is left where it was, ready for the operation's decoder.
 */
export function takeFault(s: XmlStream, version: SoapVersion): XElem | undefined {
  const t = nextTag(s, 'Body');
  if (t === START && s.local === 'Fault' && s.ns === envelopeNs(version)) {
    const fault = buildTree(s);
    s.skipContent();
    return fault;
  }
  s.pushBack(t);
  return undefined;
}

/** After the Body's end tag: the end of the Envelope (SOAP 1.1 allows elements after Body) and of the document. */
export function closeEnvelope(s: XmlStream, version: SoapVersion): void {
  for (;;) {
    if (nextTag(s, 'Envelope') === END) break;
    if (version === '1.2') throw new EnvelopeError(`unexpected element ${s.qname} after the Body`);
    s.skipElement();
  }
  if (s.next() !== EOF) throw new EnvelopeError('content after the Envelope');
}

function child(el: XElem, local: string, ns: string): XElem | undefined {
  for (const c of el.children) if (c.local === local && (c.ns === ns || c.ns === '')) return c;
  return undefined;
}

function qnameLocal(el: XElem, text: string): string {
  const q = resolveQNameIn(el, text);
  return q ? q.local : text.trim().replace(/^[^:]*:/, '');
}

/** Reads a Fault into `{code, subcodes, string, actor}`; `detail` is the element for the caller to convert. */
export function readFault(fault: XElem, version: SoapVersion): { info: FaultInfo; detail?: XElem } {
  if (version === '1.1') {
    const code = child(fault, 'faultcode', '');
    const str = child(fault, 'faultstring', '');
    const actor = child(fault, 'faultactor', '');
    const detail = child(fault, 'detail', '');
    const info: FaultInfo = { code: code ? qnameLocal(code, code.text) : 'Server', string: str?.text ?? '' };
    if (actor) info.actor = actor.text.trim();
    return { info, detail };
  }
  const ns = SOAP12_ENV;
  const code = child(fault, 'Code', ns);
  const value = code && child(code, 'Value', ns);
  const subcodes: string[] = [];
  for (let sub = code && child(code, 'Subcode', ns); sub; sub = child(sub, 'Subcode', ns)) {
    const v = child(sub, 'Value', ns);
    if (v) subcodes.push(qnameLocal(v, v.text));
  }
  const reason = child(fault, 'Reason', ns);
  const texts = reason ? reason.children.filter((c) => c.local === 'Text') : [];
  const text = texts.find((t) => (attrOf(t, XML_NS, 'lang') ?? '').toLowerCase().startsWith('en')) ?? texts[0];
  const role = child(fault, 'Role', ns) ?? child(fault, 'Node', ns);
  const info: FaultInfo = { code: value ? qnameLocal(value, value.text) : 'Receiver', string: text?.text ?? '' };
  if (subcodes.length) info.subcodes = subcodes;
  if (role) info.actor = role.text.trim();
  return { info, detail: child(fault, 'Detail', ns) };
}
