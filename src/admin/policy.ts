/**
 * Who may call the admin routes (/metrics, /docs, /openapi.json, POST /admin/reload, and what
 * later releases add to ADMIN_ROUTE_NAMES). Settings come from the environment (config/index.ts):
 * - ADMIN_TOKEN (or its SHA-256, ADMIN_TOKEN_SHA256): `Authorization: Bearer <token>` is needed;
 *   compared as SHA-256 digests in constant time.
 * - ADMIN_ALLOW: comma-separated IPs and CIDRs (IPv4 and IPv6); the caller's address must be in it.
 * - ADMIN_ROUTES: the routes these rules protect (default: all of them).
 * With neither token nor allow-list, the read-only routes stay open and the routes that change
 * something (reload) answer only loopback callers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { BridgeError } from '../errors/catalogue';
import { registerSecret } from '../log/redact';

/** The admin routes by name; `mutates` ones are never open to every caller. */
export const ADMIN_ROUTE_NAMES = ['metrics', 'docs', 'openapi', 'reload', 'console'] as const;
export type AdminRouteName = (typeof ADMIN_ROUTE_NAMES)[number];
const MUTATING: ReadonlySet<AdminRouteName> = new Set(['reload']);

export const DEFAULT_ADMIN_ROUTES = ADMIN_ROUTE_NAMES.join(',');
export const MIN_TOKEN_LENGTH = 16;
export const REALM = 'soap-bridge admin';

/** A setting that cannot be used; config/index.ts turns it into a ConfigError. */
export class AdminSettingError extends Error {}

export interface AdminSettings {
  /** ADMIN_TOKEN: the bearer token itself (a secret). */
  token: string;
  /** ADMIN_TOKEN_SHA256: the token's SHA-256, hex. */
  tokenSha256: string;
  /** ADMIN_ALLOW: comma-separated addresses and CIDRs. */
  allow: string;
  /** ADMIN_ROUTES: comma-separated route names. */
  routes: string;
}

export interface AdminPolicy {
  /** SHA-256 of the token callers must present, when one is set. */
  readonly tokenDigest?: Buffer;
  /** Addresses allowed, when ADMIN_ALLOW is set. */
  readonly allow?: BlockList;
  /** The routes the token and the allow-list protect. */
  readonly routes: ReadonlySet<AdminRouteName>;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** `::ffff:1.2.3.4` (an IPv4 caller on a dual-stack socket) -> `1.2.3.4`; other addresses as they are. */
function plainAddress(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1] : address;
}

/**
 * An X-Forwarded-For entry without the port some proxies add (`1.2.3.4:5678`, `[2001:db8::1]:443`,
 * `[2001:db8::1]`): else every connection of one client, on a new source port, would count as a
 * new address. Anything else is returned as it is.
 */
function withoutPort(entry: string): string {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  if (v4) return v4[1];
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(entry);
  return v6 && isIP(v6[1]) === 6 ? v6[1] : entry;
}

function contains(list: BlockList, address: string | undefined): boolean {
  if (!address) return false;
  const a = plainAddress(address.trim());
  const family = isIP(a);
  if (family === 0) return false;
  return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

function parseAllow(text: string): BlockList {
  const list = new BlockList();
  const entries = text.split(',').map((s) => s.trim());
  if (entries.some((e) => e === '')) throw new AdminSettingError(`ADMIN_ALLOW has an empty entry: "${text}" (a comma-separated list of addresses and CIDRs, e.g. 127.0.0.1/32,10.0.0.0/8,::1)`);
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = plainAddress(slash < 0 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    if (family === 0) throw new AdminSettingError(`ADMIN_ALLOW: "${entry}" is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8, ::1)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) {
      list.addAddress(address, type);
      continue;
    }
    const bits = entry.slice(slash + 1);
    // ::ffff:a.b.c.d/N (96 <= N <= 128) is the IPv4 network a.b.c.d/(N - 96): callers are compared as plain IPv4.
    const mapped = family === 4 && address !== entry.slice(0, slash);
    const max = family === 4 ? 32 : 128;
    if (mapped) {
      if (!/^\d{1,3}$/.test(bits) || Number(bits) < 96 || Number(bits) > 128) throw new AdminSettingError(`ADMIN_ALLOW: "${entry}" has a bad prefix length (96 to 128 for an IPv4-mapped IPv6 network)`);
      list.addSubnet(address, Number(bits) - 96, type);
      continue;
    }
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new AdminSettingError(`ADMIN_ALLOW: "${entry}" has a bad prefix length (0 to ${max} for IPv${family})`);
    list.addSubnet(address, Number(bits), type);
  }
  return list;
}

function parseRoutes(text: string): Set<AdminRouteName> {
  const routes = new Set<AdminRouteName>();
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase();
    if (!(ADMIN_ROUTE_NAMES as readonly string[]).includes(name)) {
      throw new AdminSettingError(`ADMIN_ROUTES: "${raw.trim()}" is not an admin route; use a comma-separated list of ${ADMIN_ROUTE_NAMES.join(', ')}`);
    }
    routes.add(name as AdminRouteName);
  }
  return routes;
}

/**
 * Checks and compiles the settings; throws AdminSettingError with a message that never holds
 * the token. Registers the token as a secret (log/redact.ts).
 */
export function parseAdminSettings(s: AdminSettings): AdminPolicy {
  if (s.token && s.tokenSha256) throw new AdminSettingError('set ADMIN_TOKEN or ADMIN_TOKEN_SHA256, not both');
  let tokenDigest: Buffer | undefined;
  if (s.token) {
    if (s.token.length < MIN_TOKEN_LENGTH) throw new AdminSettingError(`ADMIN_TOKEN is too short (${s.token.length} characters; ${MIN_TOKEN_LENGTH} at least, e.g. from \`openssl rand -hex 32\`)`);
    if (!/^[\x21-\x7e]+$/.test(s.token)) throw new AdminSettingError('ADMIN_TOKEN must be printable ASCII without spaces (it travels in an Authorization header)');
    registerSecret(s.token);
    tokenDigest = createHash('sha256').update(s.token, 'utf8').digest();
  } else if (s.tokenSha256) {
    const hex = s.tokenSha256.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new AdminSettingError(`ADMIN_TOKEN_SHA256 must be 64 hex digits (the SHA-256 of the token, e.g. \`printf %s "$TOKEN" | sha256sum\`), got ${hex.length} characters`);
    tokenDigest = Buffer.from(hex, 'hex');
  }
  const allow = s.allow.trim() ? parseAllow(s.allow) : undefined;
  const routes = parseRoutes(s.routes.trim() || DEFAULT_ADMIN_ROUTES);
  return Object.freeze({ tokenDigest, allow, routes });
}

/** The caller's address: the socket's peer, or with a trusted proxy the last X-Forwarded-For entry (the one the proxy added). */
export function callerAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const h = req.headers['x-forwarded-for'];
    const value = Array.isArray(h) ? h.join(',') : h;
    if (value !== undefined) {
      const last = value.split(',').map((s) => s.trim()).filter(Boolean).pop();
      return last === undefined ? undefined : plainAddress(withoutPort(last));
    }
  }
  const peer = req.socket.remoteAddress;
  return peer === undefined ? undefined : plainAddress(peer);
}

function tokenMatches(req: IncomingMessage, digest: Buffer): boolean {
  const m = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  return timingSafeEqual(createHash('sha256').update(m[1], 'utf8').digest(), digest);
}

/**
 * Throws 403 FORBIDDEN or 401 UNAUTHORIZED when this caller may not use the route; returns
 * otherwise. The address is checked first: a caller from elsewhere learns nothing about the token.
 */
export function checkAdminAccess(policy: AdminPolicy, route: AdminRouteName, req: IncomingMessage, trustProxy: boolean): void {
  const guarded = policy.routes.has(route) && (policy.tokenDigest !== undefined || policy.allow !== undefined);
  const address = callerAddress(req, trustProxy);
  if (!guarded) {
    if (MUTATING.has(route) && !contains(LOOPBACK, address)) {
      throw new BridgeError('FORBIDDEN', `${route} is accepted from loopback callers only unless ADMIN_TOKEN or ADMIN_ALLOW protects it (ADMIN_ROUTES)`);
    }
    return;
  }
  if (policy.allow && !contains(policy.allow, address)) throw new BridgeError('FORBIDDEN', `address ${address ?? '(unknown)'} is not in ADMIN_ALLOW`);
  if (policy.tokenDigest && !tokenMatches(req, policy.tokenDigest)) {
    const given = req.headers.authorization !== undefined;
    throw new BridgeError('UNAUTHORIZED', given ? 'the admin token is not valid' : 'this route needs the admin token: Authorization: Bearer <token>', {
      headers: { 'www-authenticate': `Bearer realm="${REALM}"` },
    });
  }
}
