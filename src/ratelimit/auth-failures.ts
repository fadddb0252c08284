/**
 * Brute-force protection (mapping key `authFailures`): every refused authentication (a REST 401
 * from `auth`, a WS-Security refusal from `soapAuth`) costs one unit of a budget kept per caller
 * ADDRESS and service, in the rate-limit store (memory, or Redis shared across instances). Once
 * `attempts` refusals are counted within `windowMs`, the address is blocked until that window
 * ends: every request from it that needs credentials is refused with RATE_LIMITED (429 problem,
 * or the Client/Sender fault with subcode RateLimited) BEFORE its credentials are checked, so a
 * guesser learns nothing more, at the price of locking out a legitimate caller behind the same
 * address (NAT, proxy) for the rest of the window. A success does not reset the count (else an
 * attacker holding one valid key of its own could interleave it with guesses).
 *
 * IPv4 addresses are counted one by one; IPv6 addresses by their /64 prefix (one host, or one
 * customer network, usually holds a whole /64 and could otherwise rotate through it).
 */
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Diagnostics } from '../compile/diagnostics';
import { BridgeError } from '../errors/catalogue';
import type { Logger } from '../log';
import { formatPath, type Mapping, type MappingPath, type Where } from '../mapping';
import { clientIp } from './http';
import type { RateLimits } from './limits';

/** The mapping's value: a budget, or `false` for no brute-force protection. */
export type AuthFailuresSpec = { attempts: number; windowMs: number } | false;

/** The default when a service sets `auth` or `soapAuth` and no `authFailures`. */
export const DEFAULT_AUTH_FAILURES = { attempts: 20, windowMs: 60000 } as const;

/** The budget of failed authentications of one service, per caller address. */
export interface AuthFailureRule {
  readonly service: string;
  readonly attempts: number;
  readonly windowMs: number;
}

/** `false`, or a map; one schema node (not anyOf) so a wrong key or value gets one clear message. */
export const AUTH_FAILURES_SCHEMA = {
  type: ['boolean', 'object'],
  'x-expect': 'false, or a map {attempts: N, windowMs: MS}',
  not: { const: true },
  'x-not-expect': 'false (no brute-force protection) or a map {attempts: N, windowMs: MS}; true is not a setting (the protection is on by default with auth or soapAuth)',
  additionalProperties: false,
  required: ['attempts', 'windowMs'],
  properties: {
    attempts: { type: 'integer', minimum: 1, maximum: 1000000, 'x-expect': 'a whole number of failed authentications per address and window, 1 or more' },
    windowMs: { type: 'integer', minimum: 1000, maximum: 86400000, multipleOf: 1000, 'x-expect': 'a window in milliseconds, whole seconds (1000, 60000, …)' },
  },
} as const;

/** Whether the mapping asks callers for credentials anywhere (auth or soapAuth, service or operation). */
function asksForCredentials(mapping: Mapping): boolean {
  if (mapping.auth || mapping.soapAuth) return true;
  return Object.values(mapping.operations ?? {}).some((op) => Boolean(op?.auth) || Boolean(op?.soapAuth));
}

/**
 * The service's rule: its `authFailures`, the default when it asks for credentials and sets
 * none, undefined with `false` or without authentication (a setting then has no effect: warned).
 */
export function authFailureRule(mapping: Mapping, service: string, where: Where, diags: Diagnostics): AuthFailureRule | undefined {
  const spec = mapping.authFailures;
  if (spec === false) return undefined;
  if (!asksForCredentials(mapping)) {
    if (spec !== undefined) {
      const at: MappingPath = ['authFailures'];
      diags.warn(where(at, true), `${formatPath(at)} has no effect: the service asks for no credentials (no auth, no soapAuth)`);
    }
    return undefined;
  }
  const { attempts, windowMs } = spec ?? DEFAULT_AUTH_FAILURES;
  return { service, attempts, windowMs };
}

/** What the guard needs from the app. */
export interface AuthGuardDeps {
  limits: RateLimits;
  logger: Logger;
  trustProxy: boolean;
  metrics?: { authFailed(service: string): void; authBlocked(service: string): void };
  requestId?: string;
}

/** The key an address is counted under: IPv4 as it is, IPv6 by its /64 prefix. */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 is turned into 1.2.3.4 before this) fills two groups.
  const width = (parts: string[]): number => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

function limiterOf(deps: AuthGuardDeps, rule: AuthFailureRule) {
  // `!authfail` never collides with a rate-limit scope ({service}:{operation|*}): an operation name holds no `!`.
  return deps.limits.limiter(`${rule.service}:!authfail`, rule.attempts, rule.windowMs);
}

function blockedError(rule: AuthFailureRule, msBeforeNext: number): BridgeError {
  const retryAfter = String(Math.max(1, Math.ceil(msBeforeNext / 1000)));
  return new BridgeError('RATE_LIMITED', `too many failed authentications from this address for service "${rule.service}" (${rule.attempts} in ${rule.windowMs / 1000} s); retry after ${retryAfter} s`, {
    headers: { 'retry-after': retryAfter },
    soapFault: { code: 'Client', subcode: 'RateLimited' },
  });
}

/**
 * Before the credentials are checked: the RATE_LIMITED error to answer when the caller's address
 * has spent its budget, else undefined. Never rejects (a store failure lets the request on).
 */
export async function blockedAddress(deps: AuthGuardDeps, rule: AuthFailureRule, req: IncomingMessage): Promise<BridgeError | undefined> {
  try {
    const res = await limiterOf(deps, rule).get(addressKey(clientIp(req, deps.trustProxy)));
    if (!res || res.consumedPoints < rule.attempts) return undefined;
    deps.metrics?.authBlocked(rule.service);
    return blockedError(rule, res.msBeforeNext);
  } catch (e) {
    deps.logger.error('authentication failures: cannot read the count; checking the credentials', { requestId: deps.requestId, service: rule.service, error: (e as Error)?.message });
    return undefined;
  }
}

/**
 * After authentication refused the request (`err`): counts the refusal and returns the error to
 * answer: `err` itself, or RATE_LIMITED when the budget was spent already (a request that was
 * in flight when the address got blocked). Logs one warning when this refusal spends the budget.
 * Never rejects.
 */
export async function authFailed(deps: AuthGuardDeps, rule: AuthFailureRule, req: IncomingMessage, err: BridgeError): Promise<BridgeError> {
  const address = clientIp(req, deps.trustProxy);
  deps.metrics?.authFailed(rule.service);
  const key = addressKey(address);
  let res: RateLimiterRes;
  try {
    res = await limiterOf(deps, rule).consume(key);
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) {
      deps.logger.error('authentication failures: cannot count a refusal', { requestId: deps.requestId, service: rule.service, error: (e as Error)?.message });
      return err;
    }
    deps.metrics?.authBlocked(rule.service);
    return blockedError(rule, e.msBeforeNext);
  }
  if (res.consumedPoints === rule.attempts) {
    // The counter is atomic (Redis INCR), so one request, on one instance, sees it reach the budget.
    deps.logger.warn('authentication failures: address blocked', {
      requestId: deps.requestId,
      service: rule.service,
      address,
      // An IPv6 address is counted (and blocked) with its whole /64.
      ...(key === address ? {} : { blocked: key }),
      attempts: rule.attempts,
      windowMs: rule.windowMs,
      blockedForSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    });
  }
  return err;
}

/** Whether a refusal is a failed authentication (401), which costs a unit; 403 (a valid token lacking a scope) does not. */
export function isAuthFailure(err: unknown): err is BridgeError {
  return err instanceof BridgeError && err.code === 'UNAUTHORIZED';
}

/**
 * `check` (an authentication) behind the guard: refused at once while the address is blocked,
 * its 401 counted (and turned into RATE_LIMITED once the budget is spent).
 */
export async function guardedAuthentication<T>(deps: AuthGuardDeps, rule: AuthFailureRule, req: IncomingMessage, check: () => Promise<T>): Promise<T> {
  const blocked = await blockedAddress(deps, rule, req);
  if (blocked) throw blocked;
  try {
    return await check();
  } catch (e) {
    if (isAuthFailure(e)) throw await authFailed(deps, rule, req, e);
    throw e;
  }
}
