/**
 * REST facade authentication, configured by the `auth` key of mapping.yaml: API keys (compared
 * by their SHA-256, in constant time) and JWTs (verified with `jose`). This file turns the
 * mapping's settings into an Authenticator at load time, reading the key files and reporting
 * every problem at its YAML position; verify.ts does the per-request work.
 */
import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostics } from '../compile/diagnostics';
import { registerSecret } from '../log/redact';
import { formatPath, type MappingPath, type Where } from '../mapping';
import { JWT_ALGORITHMS, type JwtAlgorithm } from './schema';
import { Authenticator, type JwtSettings } from './verify';

export { Authenticator } from './verify';

export interface ApiKeysSpec {
  header?: string;
  keys: { id: string; sha256: string }[];
}

export interface JwtSpec {
  secret?: string;
  publicKey?: string;
  jwks?: string;
  algorithms?: JwtAlgorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  clockToleranceSec?: number;
  scopes?: string[];
}

export interface AuthSpec {
  apiKeys?: ApiKeysSpec;
  jwt?: JwtSpec;
}

/** `false`: a public operation (at operation level), whatever the bundle says. */
export type AuthSetting = AuthSpec | false;

export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const HMAC = ['HS256', 'HS384', 'HS512'] as const;
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

/** Algorithms a public key can verify. */
function algorithmsOfKey(key: KeyObject, jwkAlg?: string): JwtAlgorithm[] {
  if (jwkAlg && (JWT_ALGORITHMS as readonly string[]).includes(jwkAlg)) return [jwkAlg as JwtAlgorithm];
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return [...RSA];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : [];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

export interface AuthCompileContext {
  /** The bundle folder: key files are relative to it. */
  dir: string;
  where: Where;
  diags: Diagnostics;
  service: string;
  /** Every key file read is added here, so hot reload watches it and the bundle hash covers it. */
  files: Set<string>;
}

/** Reads a key file named in the mapping; reports a problem at `at` and returns undefined. */
function readKeyFile(ctx: AuthCompileContext, name: string, at: MappingPath): { file: string; text: string } | undefined {
  const file = path.resolve(ctx.dir, name);
  ctx.files.add(file);
  try {
    return { file, text: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    ctx.diags.error(ctx.where(at), `${formatPath(at)}: cannot read ${name}${err.code === 'ENOENT' ? ': no such file' : `: ${err.message}`} (paths are relative to the bundle folder)`);
    return undefined;
  }
}

function compileJwt(spec: JwtSpec, at: MappingPath, ctx: AuthCompileContext): JwtSettings | undefined {
  const before = ctx.diags.errors.length;
  if (spec.secret === undefined && spec.publicKey === undefined && spec.jwks === undefined) {
    ctx.diags.error(ctx.where(at), `${formatPath(at)}: give at least one of \`secret\`, \`publicKey\` or \`jwks\` to verify signatures with`);
    return undefined;
  }
  const usable = new Set<JwtAlgorithm>();
  let secret: KeyObject | undefined;
  if (spec.secret !== undefined) {
    // From the environment (${VAR}): never in a log line or an error body.
    registerSecret(spec.secret);
    const bytes = Buffer.from(spec.secret, 'utf8');
    // A KeyObject: jose turns it into a WebCrypto key once and keeps that (a Uint8Array is imported per token).
    secret = createSecretKey(bytes);
    if (bytes.length < 32) ctx.diags.warn(ctx.where([...at, 'secret']), `${formatPath([...at, 'secret'])}: the secret has ${bytes.length} bytes; HS256 wants 32 or more (RFC 7518 §3.2)`);
    for (const a of HMAC) usable.add(a);
  }
  let publicKey: KeyObject | undefined;
  if (spec.publicKey !== undefined) {
    const p = [...at, 'publicKey'];
    const read = readKeyFile(ctx, spec.publicKey, p);
    if (read) {
      try {
        publicKey = createPublicKey(read.text);
      } catch (e) {
        ctx.diags.error(ctx.where(p), `${formatPath(p)}: ${spec.publicKey} is not a PEM public key or certificate (${(e as Error).message})`);
      }
      if (publicKey) {
        const algs = algorithmsOfKey(publicKey);
        if (algs.length === 0) ctx.diags.error(ctx.where(p), `${formatPath(p)}: ${spec.publicKey} holds a ${publicKey.asymmetricKeyType} key, which no JWT algorithm here uses (RSA, EC P-256/384/521, Ed25519)`);
        for (const a of algs) usable.add(a);
      }
    }
  }
  let jwks: { keys: Record<string, unknown>[] } | undefined;
  if (spec.jwks !== undefined) {
    const p = [...at, 'jwks'];
    const read = readKeyFile(ctx, spec.jwks, p);
    if (read) jwks = parseJwks(read.text, spec.jwks, p, ctx, usable);
  }
  if (ctx.diags.errors.length > before) return undefined;
  let algorithms = [...usable];
  if (spec.algorithms) {
    spec.algorithms.forEach((a, i) => {
      if (!usable.has(a)) {
        const p = [...at, 'algorithms', i];
        ctx.diags.error(ctx.where(p), `${formatPath(p)}: no configured key verifies ${a} (the keys given verify ${algorithms.join(', ') || 'nothing'})`);
      }
    });
    algorithms = [...new Set(spec.algorithms)];
  }
  if (ctx.diags.errors.length > before) return undefined;
  const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  return { secret, publicKey, jwks, algorithms, issuer: list(spec.issuer), audience: list(spec.audience), clockToleranceSec: spec.clockToleranceSec ?? 30, scopes: spec.scopes ?? [] };
}

function parseJwks(text: string, name: string, at: MappingPath, ctx: AuthCompileContext, usable: Set<JwtAlgorithm>): { keys: Record<string, unknown>[] } | undefined {
  const fail = (msg: string): undefined => {
    ctx.diags.error(ctx.where(at), `${formatPath(at)}: ${name}: ${msg}`);
    return undefined;
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!doc || typeof doc !== 'object' || !Array.isArray(keys)) return fail('not a JSON Web Key Set: expected {"keys": [ … ]}');
  if (keys.length === 0) return fail('the key set has no keys');
  const kids = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (!k || typeof k !== 'object') return fail(`keys[${i}] is not a JSON Web Key`);
    const jwk = k as Record<string, unknown>;
    if ('d' in jwk || 'k' in jwk) return fail(`keys[${i}] holds private or symmetric key material (${'d' in jwk ? 'd' : 'k'}); a JWKS here holds public keys only (use jwt.secret for HMAC)`);
    if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return fail(`keys[${i}].kid is not a string`);
    if (typeof jwk.kid === 'string') {
      if (kids.has(jwk.kid)) return fail(`two keys have kid "${jwk.kid}"`);
      kids.add(jwk.kid);
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch (e) {
      return fail(`keys[${i}]${typeof jwk.kid === 'string' ? ` (kid "${jwk.kid}")` : ''} is not a usable public key (${(e as Error).message})`);
    }
    const algs = algorithmsOfKey(key, typeof jwk.alg === 'string' ? jwk.alg : undefined);
    if (algs.length === 0) return fail(`keys[${i}] is a ${key.asymmetricKeyType} key${typeof jwk.alg === 'string' ? ` for ${jwk.alg}` : ''}, which no JWT algorithm here uses`);
    for (const a of algs) usable.add(a);
  }
  if (keys.length > 1 && kids.size < keys.length) return fail('with several keys, every key needs a kid (tokens name theirs in the header)');
  return { keys: keys as Record<string, unknown>[] };
}

/** Compiles one `auth` setting; undefined when it has errors (reported) or is `false`. */
export function compileAuth(spec: AuthSpec | false, at: MappingPath, ctx: AuthCompileContext): Authenticator | undefined {
  if (spec === false) return undefined;
  const before = ctx.diags.errors.length;
  if (!spec.apiKeys && !spec.jwt) {
    ctx.diags.error(ctx.where(at), `${formatPath(at)}: give at least one of \`apiKeys\` or \`jwt\` (or false for a public operation)`);
    return undefined;
  }
  let apiKeys: { header: string; keys: { id: string; hash: Buffer }[] } | undefined;
  if (spec.apiKeys) {
    const keys: { id: string; hash: Buffer }[] = [];
    const ids = new Set<string>();
    spec.apiKeys.keys.forEach((k, i) => {
      const p = [...at, 'apiKeys', 'keys', i];
      if (!HEX_SHA256.test(k.sha256)) {
        // Never echo the value: it may be the key itself, pasted by mistake.
        ctx.diags.error(ctx.where([...p, 'sha256']), `${formatPath([...p, 'sha256'])}: expected the hex SHA-256 of the key (64 hex digits; soap-bridge hash-key prints it), got ${k.sha256.length} characters`);
        return;
      }
      if (ids.has(k.id)) ctx.diags.error(ctx.where([...p, 'id']), `${formatPath([...p, 'id'])}: two keys have id "${k.id}"`);
      ids.add(k.id);
      keys.push({ id: k.id, hash: Buffer.from(k.sha256, 'hex') });
    });
    const header = spec.apiKeys.header ?? DEFAULT_API_KEY_HEADER;
    if (header.toLowerCase() === 'authorization') ctx.diags.error(ctx.where([...at, 'apiKeys', 'header']), `${formatPath([...at, 'apiKeys', 'header'])}: Authorization carries bearer tokens; choose another header for API keys`);
    apiKeys = { header, keys };
  }
  const jwt = spec.jwt ? compileJwt(spec.jwt, [...at, 'jwt'], ctx) : undefined;
  if (ctx.diags.errors.length > before) return undefined;
  return new Authenticator(ctx.service, apiKeys, jwt);
}
