/**
 * The JSON Schema of mapping.yaml. The loader validates every file against it before anything
 * else reads the file; `x-expect` says, in words, what a value should look like, and is what the
 * loader prints when a value has the wrong type. docs/mapping.md documents each key.
 */
import { AUTH_SCHEMA } from '../auth/schema';
import { SOAP_AUTH_SCHEMA } from '../auth/wss/mapping';
import { AUTH_FAILURES_SCHEMA } from '../ratelimit/auth-failures';

const URL = { type: 'string', pattern: '^https?://', 'x-expect': 'an http:// or https:// URL' } as const;
const TIMEOUT = { type: 'integer', minimum: 1, maximum: 3_600_000, 'x-expect': 'a timeout in milliseconds (an integer)' } as const;
const SOAP_VERSION = { enum: ['1.1', '1.2'], 'x-expect': 'SOAP version "1.1" or "1.2" (quoted)' } as const;
const BINDING = { type: 'string', minLength: 1, 'x-expect': 'the local name of a WSDL binding' } as const;

/** Where a value comes from: `body`, `body.a.b`, `body/a/b`, `path.x`, `query.x`, `header.x`. */
export const SOURCE_PATTERN = '^(?:body(?:[./].*)?|(?:path|query|header)\\.[^.\\s].*)$';

const SOURCE = {
  type: 'string',
  pattern: SOURCE_PATTERN,
  'x-expect': 'a source: body.<field>, path.<param>, query.<param> or header.<name>',
} as const;

/** A field's value: a source string, or `{from, default}`, or `{const}`. */
const FIELD_VALUE = {
  if: { type: 'string' },
  then: SOURCE,
  else: {
    type: 'object',
    'x-expect': 'a source (like query.a) or a map with from/default or const',
    additionalProperties: false,
    properties: {
      from: SOURCE,
      default: { description: 'the value when the source is absent' },
      const: { description: 'a fixed value (strings may use ${VAR})' },
    },
    oneOf: [{ required: ['from'], not: { required: ['const'] } }, { required: ['const'], not: { anyOf: [{ required: ['from'] }, { required: ['default'] }] } }],
    'x-oneOf-expect': 'either `from` (with an optional `default`) or `const`',
  },
} as const;

const FIELD_PATH = { type: 'string', minLength: 1, 'x-expect': 'a field path like a.b (or a JSON Pointer /a/b)' } as const;

const TRANSFORM = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a map with body, pick, fields and drop',
  properties: {
    body: { type: 'boolean', 'x-expect': 'true or false', description: 'whether the JSON body is the starting point' },
    pick: { ...FIELD_PATH, description: 'answer with this sub-tree of the message' },
    fields: { type: 'object', 'x-expect': 'a map of target field: source', additionalProperties: FIELD_VALUE },
    drop: { type: 'array', 'x-expect': 'a list of field paths', items: FIELD_PATH },
  },
} as const;

const FAULT_RULE = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a fault rule (code, string or detail, and status)',
  required: ['status'],
  anyOf: [{ required: ['code'] }, { required: ['string'] }, { required: ['detail'] }],
  'x-anyOf-expect': 'at least one of `code`, `string` or `detail` to match on',
  properties: {
    code: { type: 'string', minLength: 1, 'x-expect': 'a fault code local name like Client or Server.Timeout' },
    string: { type: 'string', minLength: 1, 'x-expect': 'a regular expression for the fault string' },
    detail: { type: 'string', minLength: 1, 'x-expect': 'the local name of an element in the fault detail' },
    status: { type: 'integer', minimum: 400, maximum: 599, 'x-expect': 'an HTTP status from 400 to 599' },
    type: { type: 'string', minLength: 1, 'x-expect': 'a problem type URI' },
    title: { type: 'string', minLength: 1, 'x-expect': 'a problem title' },
  },
} as const;

const SOAP_FAULT_RULE = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a rule with status and code',
  required: ['status', 'code'],
  properties: {
    status: {
      type: ['integer', 'string'],
      minimum: 100,
      maximum: 599,
      pattern: '^[1-5](?:xx|[0-9]{2})$',
      'x-expect': 'an HTTP status (404) or a class of them (4xx)',
    },
    code: { enum: ['Client', 'Server', 'Sender', 'Receiver'], 'x-expect': 'Client, Server, Sender or Receiver' },
    subcode: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9._-]*$', 'x-expect': 'a subcode name (letters, digits, . _ -)' },
  },
} as const;

const SOAP_HEADER = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a header block (element, fields)',
  required: ['element'],
  properties: {
    element: { type: 'string', minLength: 1, 'x-expect': 'a global element of the WSDL: Name or {namespace}Name' },
    mustUnderstand: { type: 'boolean', 'x-expect': 'true or false' },
    fields: { type: 'object', 'x-expect': 'a map of field: source', additionalProperties: FIELD_VALUE },
    value: { ...FIELD_VALUE, description: 'the whole value of an element of simple type' },
  },
  not: { required: ['fields', 'value'] },
  'x-not-expect': 'either `fields` (an element with children) or `value` (an element of simple type), not both',
} as const;

const SECURITY = {
  if: { type: 'boolean' },
  then: { const: false, 'x-expect': 'false (to turn security off) or a map with usernameToken' },
  else: {
    type: 'object',
    additionalProperties: false,
    'x-expect': 'a map with usernameToken, or false',
    required: ['usernameToken'],
    properties: {
      usernameToken: {
        type: 'object',
        additionalProperties: false,
        'x-expect': 'a map with username, password and passwordType',
        required: ['username', 'password'],
        properties: {
          username: { type: 'string', minLength: 1, 'x-expect': 'a user name (use ${VAR})' },
          password: { type: 'string', 'x-expect': 'a password from the environment: ${VAR}' },
          passwordType: { enum: ['text', 'digest'], 'x-expect': 'text or digest' },
          nonce: { type: 'boolean', 'x-expect': 'true or false' },
          created: { type: 'boolean', 'x-expect': 'true or false' },
        },
      },
    },
  },
} as const;

const HEADER_MAP = {
  type: 'object',
  'x-expect': 'a map of HTTP header name: value',
  propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" },
  additionalProperties: { type: 'string', 'x-expect': 'a header value (a string)' },
} as const;

const REST_CALL = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a map with method, path, query, headers, request and response',
  properties: {
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], 'x-expect': 'GET, POST, PUT, PATCH or DELETE' },
    path: { type: 'string', pattern: '^/', 'x-expect': 'a path starting with /, with {field} parameters' },
    query: { type: 'array', items: { type: 'string', minLength: 1 }, 'x-expect': 'a list of request fields sent as query parameters' },
    headers: HEADER_MAP,
    request: TRANSFORM,
    response: TRANSFORM,
  },
} as const;

const IDEMPOTENT = { type: 'boolean', 'x-expect': 'true (safe to send twice: retried after a connection error, timeout or HTTP 502-504) or false' } as const;

/** `false`, or a map; one schema node (not anyOf) so a wrong key or value gets one clear message. */
const CIRCUIT_BREAKER = {
  type: ['boolean', 'object'],
  'x-expect': 'false, or a map {failures: N, resetMs: MS} (windowMs optional)',
  not: { const: true },
  'x-not-expect': 'false (no breaker) or a map {failures: N, resetMs: MS}; true is not a setting',
  additionalProperties: false,
  required: ['failures', 'resetMs'],
  properties: {
    failures: { type: 'integer', minimum: 1, maximum: 1000000, 'x-expect': 'a whole number of consecutive failures, 1 or more' },
    resetMs: { type: 'integer', minimum: 1, maximum: 3600000, 'x-expect': 'a cool-down in milliseconds (an integer)' },
    windowMs: { type: 'integer', minimum: 1, maximum: 86400000, 'x-expect': 'a window in milliseconds (an integer)' },
  },
} as const;

/** `false`, or a map; one schema node (not anyOf) so a wrong key or value gets one clear message (src/ratelimit). */
const RATE_LIMIT = {
  type: ['boolean', 'object'],
  'x-expect': 'false, or a map {requests: N, windowMs: MS} (by: client or ip, optional)',
  not: { const: true },
  'x-not-expect': 'false (no limit) or a map {requests: N, windowMs: MS}; true is not a setting',
  additionalProperties: false,
  required: ['requests', 'windowMs'],
  properties: {
    requests: { type: 'integer', minimum: 1, maximum: 1000000000, 'x-expect': 'a whole number of requests per window, 1 or more' },
    windowMs: { type: 'integer', minimum: 1000, maximum: 86400000, multipleOf: 1000, 'x-expect': 'a window in milliseconds, whole seconds (1000, 60000, …)' },
    by: { enum: ['client', 'ip'], 'x-expect': 'client (the authenticated principal, else the IP address) or ip' },
  },
} as const;

const PEM_FILE = { type: 'string', minLength: 1, 'x-expect': 'a PEM file name, relative to the bundle folder' } as const;

/** Outbound TLS of https:// backends (src/tls/outbound.ts checks the files). */
const TLS = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a map with ca, cert, key, passphrase, servername, minVersion',
  properties: {
    ca: {
      type: ['string', 'array'],
      minLength: 1,
      minItems: 1,
      items: PEM_FILE,
      'x-expect': 'a PEM file of CA certificates, or a list of them (relative to the bundle folder)',
    },
    systemCa: { type: 'boolean', 'x-expect': "true (trust Node's built-in roots as well as ca) or false (only ca, the default)" },
    cert: { ...PEM_FILE, 'x-expect': 'a PEM file of the client certificate (and its chain), relative to the bundle folder' },
    key: { ...PEM_FILE, 'x-expect': "a PEM file of the client certificate's private key, relative to the bundle folder" },
    passphrase: { type: 'string', 'x-expect': 'the passphrase of an encrypted key, from the environment: ${VAR}' },
    servername: { type: 'string', pattern: '^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$', 'x-expect': 'a host name (SNI, and the name checked in the certificate)' },
    minVersion: { enum: ['TLSv1.2', 'TLSv1.3'], 'x-expect': 'TLSv1.2 or TLSv1.3' },
  },
} as const;

const OPERATION = {
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a map of settings for this operation',
  properties: {
    route: { type: 'string', pattern: '^(?:GET|POST|PUT|PATCH|DELETE)\\s+/\\S*$', 'x-expect': 'METHOD /path, like GET /orders/{id}' },
    request: TRANSFORM,
    response: TRANSFORM,
    faults: { type: 'array', items: FAULT_RULE, 'x-expect': 'a list of fault rules' },
    soapFaults: { type: 'array', items: SOAP_FAULT_RULE, 'x-expect': 'a list of status rules' },
    soapHeaders: { type: 'array', items: SOAP_HEADER, 'x-expect': 'a list of header blocks' },
    security: SECURITY,
    soapAuth: SOAP_AUTH_SCHEMA,
    timeoutMs: TIMEOUT,
    connectTimeoutMs: TIMEOUT,
    idempotent: IDEMPOTENT,
    soapVersion: SOAP_VERSION,
    binding: BINDING,
    soapBackend: URL,
    restBackend: URL,
    restCall: REST_CALL,
    rateLimit: RATE_LIMIT,
    tls: TLS,
    auth: AUTH_SCHEMA,
  },
} as const;

export const MAPPING_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:soap-bridge:mapping',
  title: 'soap-bridge mapping.yaml',
  type: 'object',
  additionalProperties: false,
  'x-expect': 'a map of keys (name, wsdl, soapBackend, operations, …)',
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', 'x-expect': 'a URL-safe name (letters, digits, . _ -)' },
    wsdl: { type: 'string', minLength: 1, 'x-expect': 'a WSDL file name, relative to the bundle folder' },
    soapBackend: URL,
    restBackend: URL,
    timeoutMs: TIMEOUT,
    connectTimeoutMs: TIMEOUT,
    idempotent: IDEMPOTENT,
    circuitBreaker: CIRCUIT_BREAKER,
    soapVersion: SOAP_VERSION,
    binding: BINDING,
    defaultRoutes: { type: 'boolean', 'x-expect': 'true or false' },
    validation: {
      enum: ['fast', 'strict'],
      'x-expect': 'fast (the default: the JSON form is validated) or strict (the SOAP Body XML is validated by libxml2 too)',
    },
    soapHeaders: OPERATION.properties.soapHeaders,
    security: SECURITY,
    soapAuth: SOAP_AUTH_SCHEMA,
    faults: OPERATION.properties.faults,
    soapFaults: OPERATION.properties.soapFaults,
    restHeaders: HEADER_MAP,
    rateLimit: RATE_LIMIT,
    authFailures: AUTH_FAILURES_SCHEMA,
    tls: TLS,
    auth: AUTH_SCHEMA,
    operations: { type: 'object', 'x-expect': 'a map of WSDL operation name: settings', additionalProperties: OPERATION },
  },
} as const;

/** Keys a map at this place may hold, for "did you mean" hints. */
export function knownKeys(schemaNode: unknown): string[] {
  const props = (schemaNode as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}
