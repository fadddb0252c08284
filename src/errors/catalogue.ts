/**
 * Every error the bridge answers with, in one table: HTTP status, problem `type` and title
 * (REST facade, RFC 9457), and SOAP fault code (SOAP facade). The README's error table is
 * checked against this one by a test.
 */
import type { Violation } from '../compile/codec';

export interface ErrorSpec {
  status: number;
  title: string;
  /** SOAP 1.1 fault code; SOAP 1.2 uses Sender for Client and Receiver for Server. */
  fault: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';
}

export const ERRORS = {
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON', fault: 'Client' },
  MALFORMED_XML: { status: 400, title: 'Malformed XML', fault: 'Client' },
  NOT_SOAP: { status: 400, title: 'Not a SOAP envelope', fault: 'Client' },
  SOAP_VERSION_MISMATCH: { status: 400, title: 'SOAP version mismatch', fault: 'VersionMismatch' },
  SOAP_MUST_UNDERSTAND: { status: 400, title: 'Header not understood', fault: 'MustUnderstand' },
  VALIDATION_FAILED: { status: 400, title: 'Request does not match the schema', fault: 'Client' },
  UNAUTHORIZED: { status: 401, title: 'Authentication required', fault: 'Client' },
  FORBIDDEN: { status: 403, title: 'Forbidden', fault: 'Client' },
  NOT_FOUND: { status: 404, title: 'Not found', fault: 'Client' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', fault: 'Client' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large', fault: 'Client' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', fault: 'Client' },
  RATE_LIMITED: { status: 429, title: 'Too many requests', fault: 'Client' },
  BACKEND_REFUSED: { status: 400, title: 'Backend refused the request', fault: 'Client' },
  BACKEND_FAULT: { status: 502, title: 'Backend returned a SOAP Fault', fault: 'Server' },
  BACKEND_UNREACHABLE: { status: 502, title: 'Backend unreachable', fault: 'Server' },
  BACKEND_INVALID_REPLY: { status: 502, title: 'Backend reply is not valid', fault: 'Server' },
  BACKEND_NOT_CONFIGURED: { status: 502, title: 'No backend configured', fault: 'Server' },
  BACKEND_TIMEOUT: { status: 504, title: 'Backend timeout', fault: 'Server' },
  BACKEND_CIRCUIT_OPEN: { status: 503, title: 'Backend circuit open', fault: 'Server' },
  BACKEND_OVERLOADED: { status: 503, title: 'Backend overloaded', fault: 'Server' },
  INTERNAL: { status: 500, title: 'Internal error', fault: 'Server' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** `urn:soap-bridge:problem:validation-failed` for VALIDATION_FAILED. */
export function problemType(code: ErrorCode): string {
  return `urn:soap-bridge:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** A SOAP Fault received from a backend, in the contract's JSON form. */
export interface FaultInfo {
  code: string;
  subcodes?: string[];
  string: string;
  actor?: string;
  detail?: unknown;
}

/**
 * One entry of a problem's `errors`: a violation at a JSON Pointer into the body, or (for values
 * that came from the URL or headers through a mapping) the request parameter it came from.
 */
export interface ProblemItem {
  pointer?: string;
  in?: 'path' | 'query' | 'header';
  parameter?: string;
  detail: string;
}

/** What a mapping's fault rule puts in place of the catalogue's status, type and title. */
export interface ProblemOverride {
  status: number;
  type?: string;
  title?: string;
}

export class BridgeError extends Error {
  readonly spec: ErrorSpec;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: {
      errors?: (Violation | ProblemItem)[];
      /** From a mapping's fault rule (REST facade). */
      problem?: ProblemOverride;
      /** From a mapping's status rule (SOAP facade): the fault code and subcode to answer with. */
      soapFault?: { code: 'Client' | 'Server'; subcode?: string };
      fault?: FaultInfo;
      headers?: Record<string, string>;
      cause?: unknown;
      /** A JSON backend's answer to a refused or failed call (SOAP facade). */
      backend?: { status: number; title?: string; detail?: string };
      /** Header blocks that were not understood (MustUnderstand faults). */
      notUnderstood?: { ns: string; local: string }[];
      /** A fault code in another namespace (WS-Security's wsse:FailedAuthentication): SOAP 1.1 faultcode, SOAP 1.2 Subcode. */
      faultQName?: { ns: string; prefix: string; local: string };
      /** Why an inbound WS-Security check refused the request, for the log (never a secret). */
      authFailure?: { fault: string; reason: string; username?: string };
    } = {},
  ) {
    super(detail);
    this.name = 'BridgeError';
    this.spec = ERRORS[code];
  }

  get status(): number {
    return this.extra.problem?.status ?? this.spec.status;
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: (Violation | ProblemItem)[];
  fault?: FaultInfo;
}

export function toProblem(err: BridgeError, requestId?: string, instance?: string): Problem {
  const o = err.extra.problem;
  const p: Problem = { type: o?.type ?? problemType(err.code), title: o?.title ?? err.spec.title, status: err.status, detail: err.detail };
  if (instance) p.instance = instance;
  if (requestId) p.requestId = requestId;
  if (err.extra.errors) p.errors = err.extra.errors;
  if (err.extra.fault) p.fault = err.extra.fault;
  return p;
}
