/**
 * Rate limiting at the HTTP edge, for both facades: who the caller is, counting its request
 * under the operation's rule, the RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers-06:
 * RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset in delta seconds, RateLimit-Policy) on
 * every response of a limited operation, and the refusal: RATE_LIMITED (429 problem on the
 * REST facade, a Client/Sender fault with subcode RateLimited on the SOAP facade) with
 * Retry-After in whole seconds, rounded up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { callerAddress } from '../admin/policy';
import { BridgeError } from '../errors/catalogue';
import { addressKey } from './auth-failures';
import type { RateLimits } from './limits';
import type { RateLimitRule } from './rule';

/**
 * The caller's IP address, as the admin routes see it: the connection's peer, or with
 * TRUST_PROXY the last address of X-Forwarded-For, the one the trusted proxy in front of the
 * bridge added (earlier entries are whatever the client sent and could be forged).
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  return callerAddress(req, trustProxy) ?? 'unknown';
}

/**
 * The key a caller is counted under: its principal (when authenticated and `by: client`), else its
 * IP address; an IPv6 address by its /64 (a client holds a whole /64: counted address by address,
 * it could take a fresh budget with each one), as authFailures counts.
 */
export function clientKey(rule: RateLimitRule, req: IncomingMessage, principal: string | undefined, trustProxy: boolean): string {
  if (rule.by === 'client' && principal !== undefined && principal !== '') return `p:${principal}`;
  return `ip:${addressKey(clientIp(req, trustProxy))}`;
}

export interface AdmitOptions {
  limits: RateLimits;
  rule: RateLimitRule | undefined;
  service: string;
  operation: string;
  principal: string | undefined;
  trustProxy: boolean;
  /** Called once per refused request (the metric). */
  onLimited?: (service: string) => void;
}

/**
 * Counts the request under its operation's rule (nothing without one), sets the RateLimit-*
 * headers on the response, and throws RATE_LIMITED when the caller is over its limit.
 */
export async function admit(req: IncomingMessage, res: ServerResponse, o: AdmitOptions): Promise<void> {
  const rule = o.rule;
  if (!rule) return;
  const d = await o.limits.consume(rule, clientKey(rule, req, o.principal, o.trustProxy));
  const resetSeconds = Math.ceil(d.resetMs / 1000);
  if (!res.headersSent) {
    res.setHeader('ratelimit-limit', String(d.limit));
    res.setHeader('ratelimit-remaining', String(d.remaining));
    res.setHeader('ratelimit-reset', String(resetSeconds));
    res.setHeader('ratelimit-policy', `${rule.requests};w=${rule.windowMs / 1000}`);
  }
  if (d.allowed) return;
  o.onLimited?.(o.service);
  const retryAfter = String(Math.max(1, resetSeconds));
  const what = rule.operation === undefined ? `service "${o.service}"` : `operation ${o.operation} of service "${o.service}"`;
  throw new BridgeError('RATE_LIMITED', `too many requests: the limit of ${what} is ${rule.requests} per ${rule.windowMs / 1000} s; retry after ${retryAfter} s`, {
    headers: { 'retry-after': retryAfter },
    soapFault: { code: 'Client', subcode: 'RateLimited' },
  });
}
