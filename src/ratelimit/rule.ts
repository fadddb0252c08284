/**
 * `rateLimit` of mapping.yaml: the rule each operation is served under. A service-level
 * `rateLimit` is one budget per client for the whole service (every operation, both facades);
 * an operation's own `rateLimit` is a separate budget for that operation, and `false` exempts it.
 * Checked here against what the JSON Schema cannot say; reported at the YAML node.
 */
import type { Diagnostics } from '../compile/diagnostics';
import { formatPath, type Mapping, type MappingPath, type Where } from '../mapping';

/** How the caller is told apart: its authenticated principal (else its IP), or always its IP. */
export type RateLimitBy = 'client' | 'ip';

/** The mapping's value: a limit, or `false` for none. */
export type RateLimitSpec = { requests: number; windowMs: number; by?: RateLimitBy } | false;

/** What a request is counted under. */
export interface RateLimitRule {
  /** The service (URL name) counted under. */
  readonly service: string;
  /** Set for an operation's own limit (a budget apart from the service's). */
  readonly operation?: string;
  readonly requests: number;
  readonly windowMs: number;
  readonly by: RateLimitBy;
}

/**
 * The rule of every operation named in `names` (undefined: not limited). `service` is the URL
 * name; diagnostics for settings that cannot take effect go to `diags`.
 */
export function rateLimitRules(mapping: Mapping, service: string, names: Iterable<string>, where: Where, diags: Diagnostics): Map<string, RateLimitRule | undefined> {
  const bundle = mapping.rateLimit;
  const out = new Map<string, RateLimitRule | undefined>();
  const bundleRule: RateLimitRule | undefined = bundle ? { service, requests: bundle.requests, windowMs: bundle.windowMs, by: bundle.by ?? 'client' } : undefined;
  for (const name of names) {
    const own = mapping.operations?.[name]?.rateLimit;
    if (own === undefined) out.set(name, bundleRule);
    else if (own === false) out.set(name, undefined);
    else out.set(name, { service, operation: name, requests: own.requests, windowMs: own.windowMs, by: own.by ?? bundleRule?.by ?? 'client' });
  }
  for (const [name, op] of Object.entries(mapping.operations ?? {})) {
    if (op.rateLimit === false && !bundle) {
      const at: MappingPath = ['operations', name, 'rateLimit'];
      diags.warn(where(at), `${formatPath(at)}: false has no effect: the service sets no rateLimit (set one at the top of mapping.yaml, or remove this line)`);
    }
  }
  return out;
}
