/**
 * SOAP Faults the SOAP facade answers with, in the caller's SOAP version (CONTRACT §5):
 * SOAP 1.1 with HTTP 500 and Client/Server codes; SOAP 1.2 with Sender (HTTP 400) or Receiver
 * (HTTP 500). The detail carries the problem in the bridge's own namespace: its type, the
 * request id, every schema violation (pointer and message) and what a JSON backend answered.
 */
import type { BridgeError } from '../errors/catalogue';
import { problemType } from '../errors/catalogue';
import type { SoapVersion } from '../model/operation';
import { redactText } from '../log/redact';
import { escapeText } from '../xml/escape';
import { envelopeNs, SOAP11_ENV, SOAP12_ENV } from './envelope';

export const FAULT_DETAIL_NS = 'urn:soap-bridge:fault';

export interface FaultReply {
  status: number;
  contentType: string;
  body: string;
}

export function soapContentType(version: SoapVersion): string {
  return version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
}

/** Text safe for XML whatever it holds (characters XML cannot carry become U+FFFD), with secrets redacted (log/redact.ts). */
function text(raw: string): string {
  const s = redactText(raw);
  try {
    return escapeText(s);
  } catch {
    return escapeText(s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDFFF]/gu, '\uFFFD'));
  }
}

function detailOf(err: BridgeError, requestId: string): string {
  let d = `<sb:problem xmlns:sb="${FAULT_DETAIL_NS}"><sb:type>${problemType(err.code)}</sb:type><sb:title>${text(err.spec.title)}</sb:title><sb:requestId>${text(requestId)}</sb:requestId>`;
  for (const v of err.extra.errors ?? []) d += `<sb:violation><sb:pointer>${text(v.pointer ?? '')}</sb:pointer><sb:message>${text(v.detail)}</sb:message></sb:violation>`;
  const b = err.extra.backend;
  if (b) {
    d += `<sb:backend><sb:status>${b.status}</sb:status>`;
    if (b.title !== undefined) d += `<sb:title>${text(b.title)}</sb:title>`;
    if (b.detail !== undefined) d += `<sb:detail>${text(b.detail)}</sb:detail>`;
    d += '</sb:backend>';
  }
  return `${d}</sb:problem>`;
}

/** The Fault envelope (and HTTP status) for an error, in the given SOAP version. */
export function faultReply(err: BridgeError, version: SoapVersion, requestId: string): FaultReply {
  const kind = err.extra.soapFault?.code ?? err.spec.fault;
  const subcode = err.extra.soapFault?.subcode;
  const q = err.extra.faultQName;
  const reason = text(err.detail);
  const detail = detailOf(err, requestId);
  if (version === '1.1') {
    // SOAP 1.1 refines a code with dots: soap:Client.NotFound.
    const body =
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11_ENV}"><soap:Body><soap:Fault>` +
      (q ? `<faultcode xmlns:${q.prefix}="${text(q.ns)}">${q.prefix}:${q.local}</faultcode>` : `<faultcode>soap:${kind}${subcode ? `.${subcode}` : ''}</faultcode>`) +
      `<faultstring>${reason}</faultstring><detail>${detail}</detail>` +
      '</soap:Fault></soap:Body></soap:Envelope>';
    return { status: 500, contentType: soapContentType('1.1'), body };
  }
  const code = kind === 'Client' ? 'Sender' : kind === 'Server' ? 'Receiver' : kind;
  let header = '';
  if (kind === 'MustUnderstand' && err.extra.notUnderstood?.length) {
    header = '<soap:Header>';
    err.extra.notUnderstood.forEach((q, i) => {
      header += `<soap:NotUnderstood xmlns:h${i}="${text(q.ns)}" qname="h${i}:${q.local}"/>`;
    });
    header += '</soap:Header>';
  }
  if (kind === 'VersionMismatch') {
    header = `<soap:Header><soap:Upgrade><soap:SupportedEnvelope xmlns:s12="${SOAP12_ENV}" qname="s12:Envelope"/><soap:SupportedEnvelope xmlns:s11="${SOAP11_ENV}" qname="s11:Envelope"/></soap:Upgrade></soap:Header>`;
  }
  const body =
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${envelopeNs('1.2')}">${header}<soap:Body><soap:Fault>` +
    `<soap:Code><soap:Value>soap:${code}</soap:Value>${q ? `<soap:Subcode><soap:Value xmlns:${q.prefix}="${text(q.ns)}">${q.prefix}:${q.local}</soap:Value></soap:Subcode>` : subcode ? `<soap:Subcode><soap:Value xmlns:sbc="${FAULT_DETAIL_NS}">sbc:${subcode}</soap:Value></soap:Subcode>` : ''}</soap:Code><soap:Reason><soap:Text xml:lang="en">${reason}</soap:Text></soap:Reason>` +
    `<soap:Detail>${detail}</soap:Detail></soap:Fault></soap:Body></soap:Envelope>`;
  return { status: code === 'Sender' ? 400 : 500, contentType: soapContentType('1.2'), body };
}
