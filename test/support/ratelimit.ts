/**
 * Helpers of the rate-limit tests: bundles with a `rateLimit`, and HTTP requests from a chosen
 * loopback address (Linux accepts every address of 127.0.0.0/8 as a local address, so
 * 127.0.0.2, 127.0.0.3, … are different clients of a bridge listening on 127.0.0.1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { request, writeBundle, type Reply } from './bridge';
import { ROOT } from './compile';

export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const INV = 'urn:soap-bridge:demo:inventory';

/** One request on a fresh connection bound to `from` (a loopback address), bounded by a timeout. */
export function requestFrom(from: string, url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return request(url, { ...options, localAddress: from });
}

/** A calculator bundle calling `soapBackend`, with the given extra mapping text. */
export function calculatorBundle(root: string, name: string, soapBackend: string, mapping: string): string {
  return writeBundle(root, name, {
    'calculator.wsdl': fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8'),
    'mapping.yaml': `name: ${name}\nsoapBackend: ${soapBackend}\n${mapping}`,
  });
}

/** The demo inventory bundle (SOAP facade) calling `restBackend`, with extra top-level mapping text. */
export function inventoryBundle(root: string, name: string, restBackend: string, extra: string): string {
  const demo = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'mapping.yaml'), 'utf8').replace(/^name: .*$/m, `name: ${name}`).replace(/^restBackend: .*$/m, `restBackend: ${restBackend}`);
  return writeBundle(root, name, {
    'inventory.wsdl': fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory.wsdl'), 'utf8'),
    'inventory-types.xsd': fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory-types.xsd'), 'utf8'),
    'mapping.yaml': `${demo}\n${extra}\n`,
  });
}

/** A WS-Security header block with a PasswordText UsernameToken. */
export function usernameToken(user: string, password: string): string {
  const wsse = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
  const text = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
  return `<wsse:Security xmlns:wsse="${wsse}"><wsse:UsernameToken><wsse:Username>${user}</wsse:Username><wsse:Password Type="${text}">${password}</wsse:Password></wsse:UsernameToken></wsse:Security>`;
}

/** A CheckStock request envelope (with an optional header block). */
export function checkStock(version: '1.1' | '1.2', sku = 'BOK-1001', header = ''): { headers: Record<string, string>; body: string } {
  const ns = version === '1.1' ? SOAP11 : SOAP12;
  const body = `<?xml version="1.0"?><s:Envelope xmlns:s="${ns}" xmlns:inv="${INV}">${header ? `<s:Header>${header}</s:Header>` : ''}<s:Body><inv:CheckStock><inv:sku>${sku}</inv:sku></inv:CheckStock></s:Body></s:Envelope>`;
  const headers: Record<string, string> =
    version === '1.1' ? { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${INV}#CheckStock"` } : { 'content-type': 'application/soap+xml; charset=utf-8' };
  return { headers, body };
}
