/**
 * The error side of the OpenAPI document: the RFC 9457 `Problem` schema exactly as
 * errors/catalogue.ts `toProblem` writes it, and one shared response per status the REST
 * facade answers with (CONTRACT §5). Examples are made by `toProblem` itself, so they show
 * what the bridge really sends.
 */
import { BridgeError, ERRORS, problemType, toProblem, type ErrorCode } from '../errors/catalogue';
import type { JsonSchema } from '../model/route';

export const PROBLEM = 'Problem';
const VIOLATION = 'ProblemViolation';
const FAULT = 'SoapFault';
export const REQUEST_ID = 'RequestId';
export const PROBLEM_REF = `#/components/schemas/${PROBLEM}`;
const EXAMPLE_REQUEST_ID = '0b7e3c52-5f0e-4d21-9a43-6c2f8d1e7a90';

export const ERROR_SCHEMAS: Record<string, JsonSchema> = {
  [PROBLEM]: {
    type: 'object',
    description: 'An error of the REST facade: RFC 9457 problem details, sent as application/problem+json.',
    required: ['type', 'title', 'status', 'detail'],
    properties: {
      type: { type: 'string', description: 'The kind of problem, a URI: `urn:soap-bridge:problem:{kind}` (such as `urn:soap-bridge:problem:validation-failed`), or the type a fault rule of the mapping gives.' },
      title: { type: 'string', description: 'A short summary of the kind of problem; the same for every problem of one type.' },
      status: { type: 'integer', minimum: 100, maximum: 599, description: 'The HTTP status code of the response.' },
      detail: { type: 'string', description: 'What went wrong in this occurrence.' },
      instance: { type: 'string', description: 'The request target (path and query) that failed.' },
      requestId: { type: 'string', description: 'The X-Request-Id of the request (the caller\'s, or one the bridge made); it is in every log line about the request.' },
      errors: {
        type: 'array',
        description: 'Every schema violation, each at its JSON Pointer: of the request body (400), or of the backend\'s reply (502).',
        items: { $ref: `#/components/schemas/${VIOLATION}` },
      },
      fault: { $ref: `#/components/schemas/${FAULT}` },
    },
  },
  [VIOLATION]: {
    type: 'object',
    description: 'One schema violation: at a JSON Pointer into the body, or (for a value a custom route takes from its path, query or headers) at the request parameter it came from.',
    required: ['detail'],
    properties: {
      pointer: { type: 'string', description: 'JSON Pointer (RFC 6901) to the offending value, or to a missing property at its own place (`/intB`); empty for the whole body.' },
      in: { enum: ['path', 'query', 'header'], description: 'Where the offending parameter is.' },
      parameter: { type: 'string', description: 'The name of the offending parameter.' },
      detail: { type: 'string', description: 'What is wrong there.' },
    },
    oneOf: [{ required: ['pointer'] }, { required: ['in', 'parameter'] }],
  },
  [FAULT]: {
    type: 'object',
    description: 'The SOAP Fault the backend answered with, in JSON form.',
    required: ['code', 'string'],
    properties: {
      code: { type: 'string', description: 'Local part of the fault code (`Server`, `Client`, `Server.Kaboom`); SOAP 1.2: the local part of the Code Value.' },
      subcodes: { type: 'array', items: { type: 'string' }, description: 'SOAP 1.2: local parts of the Subcode Values, outermost first.' },
      string: { type: 'string', description: 'The faultstring (SOAP 1.1) or Reason text (SOAP 1.2).' },
      actor: { type: 'string', description: 'The faultactor (SOAP 1.1) or Role (SOAP 1.2), when given.' },
      detail: { description: 'The JSON form of the detail content, typed where the WSDL declares the fault element.' },
    },
  },
};

export const REQUEST_ID_HEADER = {
  description: 'The request\'s X-Request-Id, or a new one when it had none (or an unusable one). It is sent on to the backend and is in every log line about the request.',
  schema: { type: 'string' },
};

export const REQUEST_ID_PARAMETER = {
  name: 'X-Request-Id',
  in: 'header',
  required: false,
  description: 'An id for the request (1 to 200 visible ASCII characters); the bridge makes one when it is absent. Sent on to the backend and echoed in the response.',
  schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
};

interface StandardResponse {
  status: number;
  name: string;
  description: string;
  example: BridgeError;
}

const STANDARD: StandardResponse[] = [
  {
    status: 400,
    name: 'BadRequest',
    description: 'Malformed JSON, or input that breaks the schema: `errors` lists every violation with its JSON Pointer.',
    example: new BridgeError('VALIDATION_FAILED', 'the body breaks the input schema of Add (2 violations)', {
      errors: [
        { pointer: '/intB', detail: 'is required' },
        { pointer: '/intA', detail: 'must be an integer' },
      ],
    }),
  },
  { status: 404, name: 'NotFound', description: 'Unknown service or operation.', example: new BridgeError('NOT_FOUND', 'service "calculator" has no operation "Ad" (did you mean "Add"?)') },
  { status: 413, name: 'PayloadTooLarge', description: 'The body is over the size limit (MAX_BODY_BYTES).', example: new BridgeError('PAYLOAD_TOO_LARGE', 'the body is over the 10485760-byte limit') },
  { status: 415, name: 'UnsupportedMediaType', description: 'The body is not sent as application/json (UTF-8).', example: new BridgeError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type text/plain is not accepted; send application/json') },
  { status: 500, name: 'InternalError', description: 'A fault of the bridge itself; quote the request id when reporting it.', example: new BridgeError('INTERNAL', `an internal error occurred; quote request id ${EXAMPLE_REQUEST_ID} when reporting it`) },
  {
    status: 502,
    name: 'BadGateway',
    description: 'The backend answered with a SOAP Fault (in `fault`), could not be reached, or its reply is not valid SOAP or breaks the schema (violations in `errors`).',
    example: new BridgeError('BACKEND_FAULT', 'the backend answered Divide with a SOAP Fault: Client', {
      fault: { code: 'Client', string: 'Division by zero', detail: { DivisionByZero: { dividend: 7, message: 'cannot divide 7 by zero' } } },
    }),
  },
  {
    status: 503,
    name: 'ServiceUnavailable',
    description: 'The backend is not called: its circuit breaker is open after repeated failures (BACKEND_CIRCUIT_OPEN), or too many calls already wait for it (BACKEND_OVERLOADED). The Retry-After header says when to try again, in seconds.',
    example: new BridgeError('BACKEND_CIRCUIT_OPEN', 'the backend of Add is not called: the circuit breaker of http://calc.example.com is open after repeated failures; retry in 8 s'),
  },
  { status: 504, name: 'GatewayTimeout', description: 'The backend did not answer within the time limit (timeoutMs of the mapping, or BACKEND_TIMEOUT_MS), or did not accept a connection within the connect timeout (connectTimeoutMs, or BACKEND_CONNECT_TIMEOUT_MS).', example: new BridgeError('BACKEND_TIMEOUT', 'the backend did not answer Add within 5000 ms') },
];

function problemContent(example: unknown): JsonSchema {
  return { 'application/problem+json': { schema: { $ref: PROBLEM_REF }, example } };
}

const headers = { 'X-Request-Id': { $ref: `#/components/headers/${REQUEST_ID}` } };

/** `components.responses`: one per standard status. */
export function standardResponses(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const r of STANDARD) {
    const h = r.status === 503 ? { ...headers, 'Retry-After': { description: 'Seconds to wait before calling again.', schema: { type: 'integer', minimum: 1 } } } : headers;
    out[r.name] = { description: r.description, headers: h, content: problemContent(toProblem(r.example, EXAMPLE_REQUEST_ID)) };
  }
  return out;
}

export interface FaultStatus {
  status: number;
  type?: string;
  title?: string;
}

/** The error responses of one operation: the standard ones by reference, plus the mapping's fault statuses. */
export function errorResponses(faults: FaultStatus[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of STANDARD) out[String(r.status)] = { $ref: `#/components/responses/${r.name}` };
  const mapped = new Map<number, FaultStatus[]>();
  for (const f of faults) {
    if (!Number.isInteger(f.status) || f.status < 100 || f.status > 599) continue;
    mapped.set(f.status, [...(mapped.get(f.status) ?? []), f]);
  }
  for (const [status, list] of [...mapped].sort((a, b) => a[0] - b[0])) {
    const std = STANDARD.find((r) => r.status === status);
    const titles = list.map((f) => f.title ?? ERRORS.BACKEND_FAULT.title);
    const own = `A SOAP Fault of the backend that the mapping answers with ${status}: ${[...new Set(titles)].join('; ')}.`;
    out[String(status)] = { description: std ? `${std.description} Or: ${own}` : own, headers, content: problemContent(faultExample(list[0], status)) };
  }
  return out;
}

function faultExample(f: FaultStatus, status: number): unknown {
  const code: ErrorCode = 'BACKEND_FAULT';
  return {
    type: f.type ?? problemType(code),
    title: f.title ?? ERRORS[code].title,
    status,
    detail: 'the backend answered with a SOAP Fault',
    requestId: EXAMPLE_REQUEST_ID,
    fault: { code: 'Server', string: 'the fault the backend sent' },
  };
}
