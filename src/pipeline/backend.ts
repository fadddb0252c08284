/**
 * What both directions share about calling a backend: the per-call policy taken from the
 * operation (connect timeout, retries when idempotent, the bundle's breaker) and the
 * transport's failures as catalogue errors.
 */
import type { CompiledOperation } from '../compile';
import { BridgeError } from '../errors/catalogue';
import { TransportError, type HttpReply, type PostOptions } from '../transport/http';
import type { Recorder } from '../console/exchanges';

/** What a dry run (`?dryRun=1`, `X-Dry-Run: 1`) found instead of calling the backend. */
export interface DryRunPlan {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** REST facade: the envelope and the SOAP input JSON. SOAP facade: the JSON body (undefined: none). */
  body: string | undefined;
  input?: unknown;
}

export interface BackendContext {
  requestId: string;
  defaultTimeoutMs: number;
  maxBodyBytes: number;
  /** Retries of an idempotent operation (BACKEND_RETRIES); default 0. */
  retries?: number;
  /** Told of each retry (for the log). */
  onRetry?: (info: { requestId: string; operation: string; attempt: number; reason: string; delayMs: number }) => void;
  /** Notes the stages of the call for the console's recent exchanges (src/console); absent: nothing is recorded. */
  recorder?: Recorder;
  /** Present for a dry run: everything up to the backend call runs, then `plan` is filled and the backend is not called. */
  dryRun?: { plan?: DryRunPlan };
}

/** A SOAP Fault element anywhere in the reply: the backend answered, it did not fail. */
const FAULT = /<(?:[A-Za-z_][\w.-]*:)?Fault[\s>/]/;

/** A SOAP backend fails when it answers 5xx without a SOAP Fault (a proxy's error page, an outage). */
export function soapReplyFailed(reply: HttpReply): boolean {
  return reply.status >= 500 && !FAULT.test(reply.body.toString('latin1'));
}

/** A JSON service fails when it answers 5xx; 4xx is the service answering. */
export function jsonReplyFailed(reply: HttpReply): boolean {
  return reply.status >= 500;
}

export function callPolicy(op: CompiledOperation, ctx: BackendContext, isFailure: (reply: HttpReply) => boolean): Pick<PostOptions, 'timeoutMs' | 'maxBytes' | 'connectTimeoutMs' | 'retries' | 'breaker' | 'isFailure' | 'onRetry' | 'tls'> {
  const onRetry = ctx.onRetry;
  return {
    timeoutMs: op.timeoutMs ?? ctx.defaultTimeoutMs,
    maxBytes: ctx.maxBodyBytes,
    connectTimeoutMs: op.connectTimeoutMs,
    retries: op.idempotent ? (ctx.retries ?? 0) : 0,
    breaker: op.circuitBreaker,
    tls: op.tls,
    isFailure,
    onRetry: onRetry && ((attempt, reason, delayMs) => onRetry({ requestId: ctx.requestId, operation: op.name, attempt, reason, delayMs })),
  };
}

/** A transport failure as the catalogue error the caller gets; `who` is "the backend" or "the JSON service". */
export function transportFailure(e: TransportError, op: CompiledOperation, who: string, timeoutMs: number): BridgeError {
  switch (e.code) {
    case 'TIMEOUT':
      return new BridgeError('BACKEND_TIMEOUT', `${who} did not answer ${op.name} within ${timeoutMs} ms`);
    case 'CONNECT_TIMEOUT':
      return new BridgeError('BACKEND_TIMEOUT', `${who} of ${op.name} did not accept a connection: ${e.message}`);
    case 'TOO_LARGE':
      return new BridgeError('BACKEND_INVALID_REPLY', `${who}'s reply to ${op.name} is too large: ${e.message}`);
    case 'CIRCUIT_OPEN':
      return new BridgeError('BACKEND_CIRCUIT_OPEN', `${who} of ${op.name} is not called: ${e.message}`, { headers: { 'retry-after': String(e.retryAfterS ?? 1) } });
    case 'OVERLOADED':
      return new BridgeError('BACKEND_OVERLOADED', `${who} of ${op.name} is not called: ${e.message}`, { headers: { 'retry-after': '1' } });
    default:
      return new BridgeError('BACKEND_UNREACHABLE', `${who} of ${op.name} cannot be reached: ${e.message}`);
  }
}
