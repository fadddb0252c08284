/**
 * Per-request authentication of the REST facade: an API key in a header (its SHA-256 compared
 * with every configured hash in constant time) or a JWT bearer token (signature, algorithm,
 * exp/nbf/iat, iss, aud and scopes, verified with `jose`). A request passes when one configured
 * method accepts it. Failures are 401 UNAUTHORIZED with a WWW-Authenticate challenge per method
 * (RFC 6750 for bearer tokens), or 403 FORBIDDEN for a valid token without the scopes asked for.
 * Details say what is wrong (expired when, which audience) and never hold the token or key.
 */
import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BridgeError } from '../errors/catalogue';
import type { JwtAlgorithm } from './schema';

// jose 6 is an ES module; Node 20.19+ loads it with require(). The types come from its declarations.
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type JWTPayload = import('jose', { with: { 'resolution-mode': 'import' } }).JWTPayload;
type JWK = import('jose', { with: { 'resolution-mode': 'import' } }).JWK;
type ProtectedHeader = import('jose', { with: { 'resolution-mode': 'import' } }).JWTHeaderParameters;
let joseModule: Jose | undefined;
function jose(): Jose {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (joseModule ??= require('jose') as Jose);
}

export interface JwtSettings {
  secret?: KeyObject;
  publicKey?: KeyObject;
  jwks?: { keys: Record<string, unknown>[] };
  algorithms: JwtAlgorithm[];
  issuer?: string[];
  audience?: string[];
  clockToleranceSec: number;
  scopes: string[];
}

export interface ApiKeySettings {
  header: string;
  keys: { id: string; hash: Buffer }[];
}

/** What a route's authentication looks like from outside (OpenAPI). */
export interface AuthDescription {
  apiKeyHeader?: string;
  bearer: boolean;
  scopes: string[];
}

interface Failure {
  method: 'apiKey' | 'jwt';
  /** RFC 6750 error code (bearer tokens). */
  error?: 'invalid_token' | 'insufficient_scope';
  /** Short, fixed text for the challenge's error_description. */
  description?: string;
  detail: string;
}

/** A claim value, quoted and cut short, for a detail (it came from a verified token, so it is no secret, but may be long). */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}

function iso(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : 'an unreadable time';
}

function scopesOf(payload: JWTPayload): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const s of v.split(' ')) if (s) out.add(s);
    } else if (Array.isArray(v)) {
      for (const s of v) if (typeof s === 'string') out.add(s);
    }
  };
  add(payload.scope);
  add(payload.scp);
  return out;
}

/** What a caller without credentials is told to send (the 401's detail, and its OpenAPI example). */
export function wantedCredentials(d: AuthDescription): string {
  const ways: string[] = [];
  if (d.bearer) ways.push('a bearer token in Authorization');
  if (d.apiKeyHeader) ways.push(`an API key in ${d.apiKeyHeader}`);
  return `send ${ways.join(' or ')}`;
}

export class Authenticator {
  private readonly jwksGetKey?: ReturnType<Jose['createLocalJWKSet']>;
  readonly description: AuthDescription;

  constructor(
    readonly realm: string,
    private readonly apiKeys: ApiKeySettings | undefined,
    private readonly jwt: JwtSettings | undefined,
  ) {
    if (jwt?.jwks) this.jwksGetKey = jose().createLocalJWKSet(jwt.jwks as { keys: JWK[] });
    this.description = { apiKeyHeader: apiKeys?.header, bearer: jwt !== undefined, scopes: jwt?.scopes ?? [] };
  }

  /** The caller's principal (API key id, JWT subject); throws UNAUTHORIZED or FORBIDDEN. */
  async authenticate(headers: IncomingHttpHeaders): Promise<string> {
    const failures: Failure[] = [];
    let given = false;
    if (this.jwt) {
      const auth = headers.authorization;
      const m = typeof auth === 'string' ? /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(auth) : null;
      if (m) {
        given = true;
        const r = await this.verifyJwt(m[1], this.jwt);
        if (typeof r === 'string') return r;
        failures.push(r);
      } else if (typeof auth === 'string' && /^Bearer\b/i.test(auth)) {
        given = true;
        failures.push({ method: 'jwt', error: 'invalid_token', description: 'The token is malformed', detail: 'the Authorization header does not hold a well-formed bearer token' });
      }
    }
    if (this.apiKeys) {
      const raw = headers[this.apiKeys.header.toLowerCase()];
      const key = Array.isArray(raw) ? raw[0] : raw;
      if (key !== undefined && key !== '') {
        given = true;
        const id = this.matchKey(key, this.apiKeys);
        if (id !== undefined) return id;
        failures.push({ method: 'apiKey', detail: `the API key in ${this.apiKeys.header} is not valid` });
      }
    }
    // The body is never read for a refused caller: close the connection rather than take in an upload nobody wants.
    const close: Record<string, string> = (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined ? { connection: 'close' } : {};
    const scope = failures.find((f) => f.error === 'insufficient_scope');
    // 403 only when the scope is all that is wrong: a wrong API key given next to a scope-less
    // token is a failed authentication (401, counted by authFailures), not a free guess.
    if (scope && failures.length === 1) {
      throw new BridgeError('FORBIDDEN', scope.detail, { headers: { 'www-authenticate': `Bearer realm="${this.realm}", error="insufficient_scope", error_description="${scope.description}", scope="${this.jwt!.scopes.join(' ')}"`, ...close } });
    }
    const challenges: string[] = [];
    if (this.jwt) {
      const f = failures.find((x) => x.method === 'jwt' && x.error === 'invalid_token');
      challenges.push(`Bearer realm="${this.realm}"${f?.error ? `, error="${f.error}", error_description="${f.description}"` : ''}`);
    }
    if (this.apiKeys) challenges.push(`ApiKey realm="${this.realm}", header="${this.apiKeys.header}"`);
    const detail = given ? failures.map((f) => f.detail).join('; ') : `credentials are required: ${this.wanted()}`;
    throw new BridgeError('UNAUTHORIZED', detail, { headers: { 'www-authenticate': challenges.join(', '), ...close } });
  }

  private wanted(): string {
    return wantedCredentials(this.description);
  }

  /** The id of the key whose hash matches; every hash is compared, in constant time. */
  private matchKey(key: string, settings: ApiKeySettings): string | undefined {
    // Node reads header values as latin1 (one character per byte): hashing them as latin1 gives
    // the SHA-256 of the bytes sent, which for a UTF-8 key is what hash-key prints.
    const hash = createHash('sha256').update(key, 'latin1').digest();
    let found: string | undefined;
    for (const k of settings.keys) if (timingSafeEqual(hash, k.hash) && found === undefined) found = k.id;
    return found;
  }

  private async verifyJwt(token: string, s: JwtSettings): Promise<string | Failure> {
    const bad = (description: string, detail: string): Failure => ({ method: 'jwt', error: 'invalid_token', description, detail });
    const { jwtVerify } = jose();
    let payload: JWTPayload;
    try {
      const r = await jwtVerify(token, (header: ProtectedHeader) => this.keyFor(header, s), {
        algorithms: s.algorithms,
        issuer: s.issuer,
        audience: s.audience,
        clockTolerance: s.clockToleranceSec,
        requiredClaims: ['exp'],
      });
      payload = r.payload;
    } catch (e) {
      return this.explain(e, s, bad);
    }
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + s.clockToleranceSec) return bad('The token is not valid yet', `the token was issued in the future (iat ${iso(payload.iat)})`);
    if (s.scopes.length > 0) {
      const have = scopesOf(payload);
      const missing = s.scopes.filter((x) => !have.has(x));
      if (missing.length > 0) return { method: 'jwt', error: 'insufficient_scope', description: 'The token lacks a required scope', detail: `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (required: ${s.scopes.join(' ')})` };
    }
    const principal = typeof payload.sub === 'string' && payload.sub ? payload.sub : typeof payload.azp === 'string' && payload.azp ? payload.azp : typeof payload.client_id === 'string' && payload.client_id ? payload.client_id : 'jwt';
    // For the access line: bounded, control characters replaced.
    return principal.slice(0, 200).replace(/[\x00-\x1f\x7f]/g, '?');
  }

  private keyFor(header: ProtectedHeader, s: JwtSettings): KeyObject | ReturnType<ReturnType<Jose['createLocalJWKSet']>> {
    const alg = header.alg ?? '';
    if (alg.startsWith('HS')) {
      if (!s.secret) throw new KeyChoiceError(`no secret is configured for ${alg}`);
      return s.secret;
    }
    if (this.jwksGetKey && (header.kid !== undefined || !s.publicKey)) return this.jwksGetKey(header, { payload: '', signature: '' } as never);
    if (s.publicKey) return s.publicKey;
    throw new KeyChoiceError(`no key is configured for ${alg}`);
  }

  private explain(e: unknown, s: JwtSettings, bad: (description: string, detail: string) => Failure): Failure {
    const err = e as { code?: string; claim?: string; reason?: string; payload?: JWTPayload; message?: string };
    switch (err.code) {
      case 'ERR_JWT_EXPIRED':
        return bad('The token expired', `the token expired at ${iso(err.payload?.exp)}`);
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
        const p = err.payload ?? {};
        if (err.claim === 'nbf') return bad('The token is not valid yet', `the token is not valid before ${iso(p.nbf)}`);
        if (err.claim === 'iat') return bad('The token issue time is not valid', 'the token\'s iat claim is not valid');
        const one = (l: string[] | undefined): unknown => (l?.length === 1 ? l[0] : l);
        if (err.claim === 'aud') return bad('The token is for another audience', p.aud === undefined ? `the token has no audience (expected ${show(one(s.audience))})` : `the token's audience ${show(p.aud)} is not ${show(one(s.audience))}`);
        if (err.claim === 'iss') return bad('The token is from another issuer', p.iss === undefined ? `the token has no issuer (expected ${show(one(s.issuer))})` : `the token's issuer ${show(p.iss)} is not ${show(one(s.issuer))}`);
        if (err.claim === 'exp') return bad('The token has no expiry', 'the token has no exp claim (tokens must expire)');
        return bad('A token claim is not valid', `the token's ${err.claim ?? 'claims'} claim is not valid`);
      }
      case 'ERR_JOSE_NOT_SUPPORTED': {
        // jose also says this of a `crit` parameter it does not know: not an algorithm problem.
        const crit = /^Extension Header Parameter "(.*)" is not recognized$/.exec(err.message ?? '');
        if (crit) return bad('The token has a critical header parameter that is not understood', `the token's critical header parameter ${show(crit[1])} (crit) is not understood`);
        return bad('The token algorithm is not accepted', `the token's signing algorithm is not accepted (accepted: ${s.algorithms.join(', ')}; "none" never)`);
      }
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return bad('The token algorithm is not accepted', `the token's signing algorithm is not accepted (accepted: ${s.algorithms.join(', ')}; "none" never)`);
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return bad('The token signature is not valid', 'the token signature is not valid');
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return bad('The token key is not known', 'no key of the key set matches the token (its kid and alg)');
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        return bad('The token key is ambiguous', 'several keys of the key set match the token; it must name one with kid');
      case 'ERR_KEY_CHOICE':
        return bad('The token algorithm is not accepted', err.message ?? 'no key for the token');
      default:
        return bad('The token is malformed', 'the token is not a well-formed signed JWT');
    }
  }
}

class KeyChoiceError extends Error {
  readonly code = 'ERR_KEY_CHOICE';
}
