/**
 * SOAP 1.1 and 1.2 envelopes: writing the frame around a Body, reading a received envelope,
 * and turning a Fault into the contract's JSON form.
 */
import type { SoapVersion } from '../model/operation';
import type { FaultInfo } from '../errors/catalogue';
import { attrOf, resolveQNameIn, XML_NS, type XElem } from '../xml/reader';

export const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';

export function envelopeNs(version: SoapVersion): string {
  return version === '1.1' ? SOAP11_ENV : SOAP12_ENV;
}

export function versionOfNs(ns: string): SoapVersion | undefined {
  return ns === SOAP11_ENV ? '1.1' : ns === SOAP12_ENV ? '1.2' : undefined;
}

/** `<?xml?><soap:Envelope …><soap:Body>` with extra namespace declarations. */
export function envelopeOpen(version: SoapVersion, declarations: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${envelopeNs(version)}"${declarations}><soap:Body>`;
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

export class EnvelopeError extends Error {}

export interface ParsedEnvelope {
  version: SoapVersion;
  header?: XElem;
  body: XElem;
}

/** Checks the Envelope/Header/Body frame. */
export function parseEnvelope(root: XElem): ParsedEnvelope {
  const version = versionOfNs(root.ns);
  if (root.local !== 'Envelope' || !version) {
    throw new EnvelopeError(`expected a SOAP Envelope, found ${root.ns ? `{${root.ns}}` : ''}${root.local}`);
  }
  let header: XElem | undefined;
  let body: XElem | undefined;
  for (const c of root.children) {
    if (c.ns === root.ns && c.local === 'Header' && !header && !body) header = c;
    else if (c.ns === root.ns && c.local === 'Body' && !body) body = c;
    else if (version === '1.2' || !body) throw new EnvelopeError(`unexpected element ${c.qname} in the Envelope`);
  }
  if (!body) throw new EnvelopeError('the Envelope has no Body');
  return { version, header, body };
}

/** The Fault in a Body, if the Body holds one. */
export function faultElement(env: ParsedEnvelope): XElem | undefined {
  const first = env.body.children[0];
  return first && first.local === 'Fault' && first.ns === env.body.ns ? first : undefined;
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
