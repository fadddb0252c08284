/**
 * Dry runs (`?dryRun=1` or `X-Dry-Run: 1` on either facade): the request is authenticated,
 * counted, validated and mapped exactly as a real call, then the pipeline stops before the
 * backend (pipeline/backend.ts `dryRun`) and the answer says what would have been sent.
 * Secrets never leave in it: the envelope, headers and bodies are redacted (log/redact.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { redactText, redactValue } from '../log/redact';
import type { DryRunPlan } from '../pipeline/backend';

const YES = new Set(['1', 'true']);

/**
 * Whether the request asks for a dry run: `dryRun=1|true` in the query or `X-Dry-Run: 1|true`.
 * Removes `dryRun` from `query` (whatever its value): the mapping never sees it.
 */
export function dryRunRequested(headers: IncomingHttpHeaders, query: URLSearchParams | undefined): boolean {
  let dry = false;
  if (query?.has('dryRun')) {
    dry = YES.has((query.get('dryRun') ?? '').trim().toLowerCase());
    query.delete('dryRun');
  }
  const h = headers['x-dry-run'];
  if (h !== undefined && YES.has(String(h).trim().toLowerCase())) dry = true;
  return dry;
}

/** Header names and values a dry run shows (credentials redacted). */
function shownHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k !== 'x-request-id') out[k] = v;
  return redactValue(out) as Record<string, string>;
}

/** REST facade: `{ dryRun, service, operation, backend, envelope, input }` as JSON text. */
export function restDryRunAnswer(service: string, operation: string, plan: DryRunPlan): string {
  return JSON.stringify({
    dryRun: true,
    service,
    operation,
    backend: { url: redactText(plan.url), method: plan.method, headers: shownHeaders(plan.headers) },
    envelope: redactText(plan.body ?? ''),
    input: redactValue(plan.input),
  });
}

/** SOAP facade: `{ dryRun, service, operation, backend, body }` as JSON text (body: the JSON it would send, null for none). */
export function soapDryRunAnswer(service: string, operation: string, plan: DryRunPlan): string {
  let body: unknown = null;
  if (plan.body !== undefined) {
    try {
      body = JSON.parse(plan.body);
    } catch {
      body = plan.body;
    }
  }
  return JSON.stringify({
    dryRun: true,
    service,
    operation,
    backend: { url: redactText(plan.url), method: plan.method, headers: shownHeaders(plan.headers) },
    body: redactValue(body),
  });
}
