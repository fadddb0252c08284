/**
 * Outbound WS-Security UsernameToken (OASIS Web Services Security UsernameToken Profile 1.0/1.1):
 * a `wsse:Security` header block with the user name and the password, in clear text
 * (PasswordText) or as Base64(SHA-1(nonce + created + password)) (PasswordDigest), with a fresh
 * nonce and creation time per request so a backend can refuse replays.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SoapVersion } from '../model/operation';
import { escapeText } from '../xml/escape';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
export const PASSWORD_TEXT = `${PROFILE}#PasswordText`;
export const PASSWORD_DIGEST = `${PROFILE}#PasswordDigest`;
export const BASE64_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export interface UsernameToken {
  username: string;
  password: string;
  passwordType?: 'text' | 'digest';
  /** Send a nonce and a creation time with a text password too (always sent with a digest). */
  nonce?: boolean;
  created?: boolean;
}

/** Base64(SHA-1(nonce bytes + created + password)), as the profile defines PasswordDigest. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

/**
 * The header block, for a SOAP envelope whose prefix `soap` is bound to the envelope namespace.
 * `now` and `nonce` are parameters so tests can check the digest; requests use fresh ones.
 */
export function usernameTokenHeader(t: UsernameToken, version: SoapVersion, now: Date = new Date(), nonce: Buffer = randomBytes(16)): string {
  const digest = t.passwordType === 'digest';
  const created = now.toISOString();
  const withNonce = digest || t.nonce === true;
  const withCreated = digest || t.created === true;
  const mu = version === '1.1' ? '1' : 'true';
  let token = `<wsse:Username>${escapeText(t.username)}</wsse:Username>`;
  token += digest
    ? `<wsse:Password Type="${PASSWORD_DIGEST}">${passwordDigest(nonce, created, t.password)}</wsse:Password>`
    : `<wsse:Password Type="${PASSWORD_TEXT}">${escapeText(t.password)}</wsse:Password>`;
  if (withNonce) token += `<wsse:Nonce EncodingType="${BASE64_ENCODING}">${nonce.toString('base64')}</wsse:Nonce>`;
  if (withCreated) token += `<wsu:Created>${created}</wsu:Created>`;
  return `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" soap:mustUnderstand="${mu}"><wsse:UsernameToken>${token}</wsse:UsernameToken></wsse:Security>`;
}
