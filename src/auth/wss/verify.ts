/**
 * Inbound WS-Security UsernameToken (OASIS UsernameToken Profile 1.0/1.1) for the SOAP facade:
 * the `wsse:Security` header block addressed to the bridge is read, its UsernameToken's user
 * looked up and its password checked, as a digest (Base64(SHA-1(nonce + Created + password)))
 * or as text, both compared in constant time; Created must lie in the replay window and a nonce
 * may be used once within it (NonceCache). A refusal is an UNAUTHORIZED BridgeError whose SOAP
 * fault code is the WS-Security 1.0 (section 12) QName: wsse:InvalidSecurity,
 * wsse:InvalidSecurityToken, wsse:UnsupportedSecurityToken, wsse:FailedAuthentication or
 * wsse:MessageExpired. Fault strings never hold a password, a digest or a nonce; the reason for
 * the log is in `extra.authFailure`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BridgeError } from '../../errors/catalogue';
import type { SoapVersion } from '../../model/operation';
import { SOAP11_ENV, SOAP12_ENV } from '../../soap/envelope';
import { BASE64_ENCODING, PASSWORD_DIGEST, PASSWORD_TEXT, passwordDigest, WSSE_NS, WSU_NS } from '../../soap/wssecurity';
import { attrOf, type XElem } from '../../xml/reader';
import type { NonceCache, Remembered } from './nonce-cache';

export type PasswordType = 'digest' | 'text';

export interface SoapAuthUser {
  username: string;
  password: string;
}

export interface SoapAuthSettings {
  users: SoapAuthUser[];
  /** Accepted password types; default ['digest']. */
  passwordTypes?: PasswordType[];
  /** Created older than this is refused (and a nonce is remembered this long); default 300. */
  maxAgeSec?: number;
  /** Created this far in the future is accepted; default 60. */
  clockSkewSec?: number;
}

export const DEFAULT_MAX_AGE_SEC = 300;
export const DEFAULT_CLOCK_SKEW_SEC = 60;

/** The WS-Security 1.0 fault codes (section 12) this verifier answers with. */
export type WsseFault = 'InvalidSecurity' | 'InvalidSecurityToken' | 'UnsupportedSecurityToken' | 'FailedAuthentication' | 'MessageExpired';

/** The spec's description of each fault, the start of every fault string. */
const FAULT_TEXT: Record<WsseFault, string> = {
  InvalidSecurity: 'An error was discovered processing the <wsse:Security> header',
  InvalidSecurityToken: 'An invalid security token was provided',
  UnsupportedSecurityToken: 'An unsupported token was provided',
  FailedAuthentication: 'The security token could not be authenticated or authorized',
  MessageExpired: 'The message has expired',
};

/** What a refusal logs (never a secret). */
export interface AuthFailure {
  fault: WsseFault | 'ReplayCacheFull';
  reason: string;
  username?: string;
}

/**
 * A refusal: `hint` goes into the fault string (so it must say nothing an attacker could use),
 * `reason` only into the log.
 */
function refuse(fault: WsseFault, reason: string, hint?: string, username?: string): BridgeError {
  return new BridgeError('UNAUTHORIZED', hint ? `${FAULT_TEXT[fault]}: ${hint}` : FAULT_TEXT[fault], {
    faultQName: { ns: WSSE_NS, prefix: 'wsse', local: fault },
    authFailure: { fault, reason, username: username === undefined ? undefined : username.slice(0, 128) },
  });
}

const NEXT_ROLES = new Set(['http://schemas.xmlsoap.org/soap/actor/next', `${SOAP12_ENV}/role/next`, `${SOAP12_ENV}/role/ultimateReceiver`]);

/** Whether a header block is addressed to the bridge (no actor/role, or next/ultimateReceiver). */
export function addressedToUs(block: XElem, version: SoapVersion): boolean {
  const target = attrOf(block, version === '1.1' ? SOAP11_ENV : SOAP12_ENV, version === '1.1' ? 'actor' : 'role')?.trim();
  return target === undefined || target === '' || NEXT_ROLES.has(target);
}

/** Whether a header block is the wsse:Security block addressed to the bridge. */
export function isOurSecurityHeader(block: XElem, version: SoapVersion): boolean {
  return block.ns === WSSE_NS && block.local === 'Security' && addressedToUs(block, version);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict Base64 (whitespace between characters allowed, as xs:base64Binary allows); undefined when malformed. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const s = text.replace(/[ \t\r\n]+/g, '');
  if (s === '' || !BASE64.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An xs:dateTime with a time zone (Z or ±hh:mm) as epoch milliseconds; undefined when it is not one. */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 24 || minute > 59 || second > 59) return undefined;
  if (hour === 24 && (minute !== 0 || second !== 0 || (m[7] && Number(m[7]) !== 0))) return undefined;
  // setUTCFullYear, not Date.UTC: that one reads years 0 to 99 as 1900 to 1999.
  const utc = (y: number, mo: number, d: number, h = 0, mi = 0, sec = 0, msec = 0): number => {
    const date = new Date(0);
    date.setUTCFullYear(y, mo, d);
    date.setUTCHours(h, mi, sec, msec);
    return date.getTime();
  };
  const dim = new Date(utc(year, month, 0)).getUTCDate();
  if (day > dim) return undefined;
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 14 || om > 59 || (oh === 14 && om !== 0)) return undefined;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om) * 60000;
  }
  const t = utc(year, month - 1, day, hour, minute, second, ms) - offset;
  return Number.isFinite(t) ? t : undefined;
}

/** The children of `el` named `{ns}local`. */
function childrenNamed(el: XElem, ns: string, local: string): XElem[] {
  return el.children.filter((c) => c.ns === ns && c.local === local);
}

/** SHA-256 of a string, so texts of any length compare in constant time. */
function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** A nonce longer than this is refused (keeps the replay cache's entries small). */
const MAX_NONCE_BYTES = 256;

export interface Verified {
  /** The user name the caller proved to be. */
  principal: string;
}

/** A UsernameToken whose password is right and whose Created is in the window; its nonce is not remembered yet. */
export interface Authenticated extends Verified {
  nonce?: {
    /** The replay cache's key: user name and nonce. */
    key: string;
    username: string;
    /** The nonce's bytes (never logged). */
    value: Buffer;
    /** Until when (epoch ms) the nonce must be refused: Created (or now) plus maxAgeSec. */
    until: number;
  };
}

/** The inbound UsernameToken check of one `soapAuth` setting (shared by the operations it covers). */
export class UsernameTokenVerifier {
  private readonly users = new Map<string, { password: string }>();
  readonly passwordTypes: ReadonlySet<PasswordType>;
  readonly maxAgeMs: number;
  readonly clockSkewMs: number;
  /** Compared against when the user is unknown, so that case costs what a known user costs. */
  private readonly decoy = randomBytes(24).toString('base64');

  constructor(settings: SoapAuthSettings) {
    for (const u of settings.users) this.users.set(u.username, { password: u.password });
    this.passwordTypes = new Set(settings.passwordTypes?.length ? settings.passwordTypes : ['digest']);
    this.maxAgeMs = (settings.maxAgeSec ?? DEFAULT_MAX_AGE_SEC) * 1000;
    this.clockSkewMs = (settings.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC) * 1000;
  }

  /** What the fault string says is accepted, when a password type is refused. */
  private accepted(): string {
    return [...this.passwordTypes].map((t) => (t === 'digest' ? 'PasswordDigest' : 'PasswordText')).join(' or ');
  }

  /**
   * Checks the request's header; returns the principal or throws an UNAUTHORIZED BridgeError
   * (RATE_LIMITED when the replay cache is full). `now` is a parameter for tests.
   */
  verify(header: XElem | undefined, version: SoapVersion, nonces: NonceCache, now: number = Date.now()): Verified {
    const token = this.authenticate(header, version, now);
    if (token.nonce) refuseReplay(token, nonces.remember(token.nonce.key, token.nonce.until, now), nonces, now);
    return { principal: token.principal };
  }

  /**
   * Everything `verify` checks but the nonce: the caller's password and the replay window. Returns
   * the principal and the nonce still to remember (in the replay cache, or in the shared one of
   * nonce-store.ts); throws an UNAUTHORIZED BridgeError.
   */
  authenticate(header: XElem | undefined, version: SoapVersion, now: number = Date.now()): Authenticated {
    const blocks = (header?.children ?? []).filter((b) => isOurSecurityHeader(b, version));
    if (blocks.length === 0) throw refuse('InvalidSecurity', 'no wsse:Security header block', 'this service requires a wsse:Security header with a UsernameToken');
    if (blocks.length > 1) throw refuse('InvalidSecurity', 'several wsse:Security header blocks for the bridge', 'several wsse:Security header blocks are addressed to this service');
    const security = blocks[0];

    const timestamps = childrenNamed(security, WSU_NS, 'Timestamp');
    if (timestamps.length > 1) throw refuse('InvalidSecurity', 'several wsu:Timestamp elements', 'several wsu:Timestamp elements');
    if (timestamps.length === 1) {
      const expires = childrenNamed(timestamps[0], WSU_NS, 'Expires');
      if (expires.length > 1) throw refuse('InvalidSecurity', 'several wsu:Expires elements', 'several wsu:Expires elements in wsu:Timestamp');
      if (expires.length === 1) {
        const t = parseDateTime(expires[0].text.trim());
        if (t === undefined) throw refuse('InvalidSecurity', 'wsu:Expires is not a dateTime with a time zone', 'wsu:Expires is not an xs:dateTime with a time zone');
        if (t < now - this.clockSkewMs) throw refuse('MessageExpired', 'the wsu:Timestamp has expired', 'its wsu:Timestamp has expired');
      }
    }

    const tokens = childrenNamed(security, WSSE_NS, 'UsernameToken');
    if (tokens.length === 0) {
      const others = security.children.filter((c) => !(c.ns === WSU_NS && c.local === 'Timestamp'));
      if (others.length) throw refuse('UnsupportedSecurityToken', `no UsernameToken (found ${others.map((c) => c.local).join(', ')})`, 'this service accepts a UsernameToken only');
      throw refuse('InvalidSecurity', 'the Security header holds no UsernameToken', 'the wsse:Security header holds no UsernameToken');
    }
    if (tokens.length > 1) throw refuse('InvalidSecurity', 'several UsernameTokens', 'several UsernameTokens in the wsse:Security header');
    const token = tokens[0];
    const one = (ns: string, local: string, label: string): XElem | undefined => {
      const found = childrenNamed(token, ns, local);
      if (found.length > 1) throw refuse('InvalidSecurityToken', `several ${label} elements`, `several ${label} elements in the UsernameToken`);
      if (found[0] && found[0].children.length) throw refuse('InvalidSecurityToken', `${label} has child elements`, `${label} must hold text only`);
      return found[0];
    };
    const userEl = one(WSSE_NS, 'Username', 'wsse:Username');
    const passwordEl = one(WSSE_NS, 'Password', 'wsse:Password');
    const nonceEl = one(WSSE_NS, 'Nonce', 'wsse:Nonce');
    const createdEl = one(WSU_NS, 'Created', 'wsu:Created');
    if (!userEl) throw refuse('InvalidSecurityToken', 'no wsse:Username', 'the UsernameToken has no wsse:Username');
    const username = userEl.text.trim();
    if (!passwordEl) throw refuse('FailedAuthentication', 'no wsse:Password', 'the UsernameToken has no wsse:Password', username);

    const typeAttr = attrOf(passwordEl, '', 'Type')?.trim();
    const type: PasswordType | undefined = typeAttr === undefined || typeAttr === PASSWORD_TEXT ? 'text' : typeAttr === PASSWORD_DIGEST ? 'digest' : undefined;
    if (!type) throw refuse('UnsupportedSecurityToken', `password Type ${typeAttr!.slice(0, 200)}`, 'the wsse:Password Type is neither PasswordText nor PasswordDigest', username);
    if (!this.passwordTypes.has(type)) throw refuse('FailedAuthentication', `a ${type} password, which this service does not accept`, `this service accepts ${this.accepted()} only`, username);

    let nonce: Buffer | undefined;
    if (nonceEl) {
      const encoding = attrOf(nonceEl, '', 'EncodingType')?.trim();
      if (encoding !== undefined && encoding !== BASE64_ENCODING) throw refuse('InvalidSecurityToken', 'a Nonce EncodingType other than Base64Binary', 'the wsse:Nonce must be Base64Binary', username);
      nonce = decodeBase64Strict(nonceEl.text);
      if (!nonce) throw refuse('InvalidSecurityToken', 'the Nonce is not Base64', 'the wsse:Nonce is not valid Base64', username);
      if (nonce.length > MAX_NONCE_BYTES) throw refuse('InvalidSecurityToken', `a Nonce of ${nonce.length} bytes`, `the wsse:Nonce is longer than ${MAX_NONCE_BYTES} bytes`, username);
    }
    let createdText: string | undefined;
    let created: number | undefined;
    if (createdEl) {
      createdText = createdEl.text.trim();
      created = parseDateTime(createdText);
      if (created === undefined) throw refuse('InvalidSecurityToken', 'Created is not a dateTime with a time zone', 'wsu:Created is not an xs:dateTime with a time zone', username);
    }

    // The password, in constant time; an unknown user is compared against a decoy and refused.
    const user = this.users.get(username);
    const expected = user?.password ?? this.decoy;
    let match: boolean;
    if (type === 'digest') {
      if (!nonce || createdText === undefined) throw refuse('InvalidSecurityToken', 'a PasswordDigest without Nonce or Created', 'a PasswordDigest needs wsse:Nonce and wsu:Created', username);
      const given = decodeBase64Strict(passwordEl.text);
      if (!given) throw refuse('InvalidSecurityToken', 'the digest is not Base64', 'the PasswordDigest is not valid Base64', username);
      const want = Buffer.from(passwordDigest(nonce, createdText, expected), 'base64');
      match = given.length === want.length && timingSafeEqual(given, want);
    } else {
      match = timingSafeEqual(sha256(passwordEl.text), sha256(expected));
    }
    if (!user) throw refuse('FailedAuthentication', 'unknown user name', undefined, username);
    if (!match) throw refuse('FailedAuthentication', `wrong ${type === 'digest' ? 'password digest' : 'password'}`, undefined, username);

    // The replay window, then the nonce: only for a caller whose password is right.
    if (created !== undefined) {
      if (created > now + this.clockSkewMs) throw refuse('MessageExpired', `Created is ${Math.round((created - now) / 1000)} s in the future`, 'wsu:Created lies in the future', username);
      if (created < now - this.maxAgeMs) throw refuse('MessageExpired', `Created is ${Math.round((now - created) / 1000)} s old`, `wsu:Created is older than ${this.maxAgeMs / 1000} s`, username);
    }
    if (!nonce) return { principal: username };
    return { principal: username, nonce: { key: `${username}\n${nonce.toString('base64')}`, username, value: nonce, until: (created ?? now) + this.maxAgeMs } };
  }
}

/**
 * Throws for a nonce the replay cache has `seen` (FailedAuthentication) or has no room for
 * (RATE_LIMITED, with Retry-After); returns for a 'fresh' one.
 */
export function refuseReplay(token: Authenticated, r: Remembered, cache: NonceCache, now: number): void {
  const username = token.principal;
  if (r === 'seen') throw refuse('FailedAuthentication', 'nonce already used (replay)', undefined, username);
  if (r === 'full') {
    const retry = cache.retryAfterSec(now);
    throw new BridgeError('RATE_LIMITED', `too many authenticated requests in the replay window; try again in ${retry} s`, {
      headers: { 'retry-after': String(retry) },
      authFailure: { fault: 'ReplayCacheFull', reason: `the replay cache is full (${cache.capacity} nonces in their window)`, username: username.slice(0, 128) },
    });
  }
}
