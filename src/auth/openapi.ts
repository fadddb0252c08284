/**
 * The OpenAPI side of REST facade authentication: `components.securitySchemes` (an apiKey
 * scheme per header name, an http bearer scheme for JWTs), each operation's `security`
 * (`[]` for a public operation) and its 401/403 answers.
 */
import { BridgeError, toProblem } from '../errors/catalogue';
import { PROBLEM_REF, REQUEST_ID } from '../openapi/problem';
import { wantedCredentials, type AuthDescription } from './verify';

export const BEARER_SCHEME = 'bearerJwt';

function apiKeyScheme(header: string): string {
  return `apiKey.${header}`;
}

const headers = {
  'X-Request-Id': { $ref: `#/components/headers/${REQUEST_ID}` },
  'WWW-Authenticate': { description: 'The challenges: `Bearer realm="{service}"` (RFC 6750, with `error` and `error_description` when a token was given but refused) and/or `ApiKey realm="{service}", header="{name}"`.', schema: { type: 'string' } },
};

function problem(example: BridgeError): Record<string, unknown> {
  return { 'application/problem+json': { schema: { $ref: PROBLEM_REF }, example: toProblem(example) } };
}

/**
 * Sets `security` and the 401 (and, with scopes, 403) answers on an OpenAPI operation, and adds
 * the schemes it uses to `schemes`. `auth` false: a public operation (`security: []`).
 */
export function applyAuth(op: Record<string, unknown>, auth: AuthDescription | false | undefined, schemes: Record<string, unknown>): void {
  if (auth === undefined) return;
  if (auth === false) {
    op.security = [];
    return;
  }
  const security: Record<string, string[]>[] = [];
  if (auth.bearer) {
    schemes[BEARER_SCHEME] = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT in `Authorization: Bearer …`, checked for its signature, exp/nbf, issuer, audience and scopes as the mapping says.' };
    security.push({ [BEARER_SCHEME]: auth.scopes });
  }
  if (auth.apiKeyHeader) {
    const name = apiKeyScheme(auth.apiKeyHeader);
    schemes[name] = { type: 'apiKey', in: 'header', name: auth.apiKeyHeader, description: `An API key in the ${auth.apiKeyHeader} header.` };
    security.push({ [name]: [] });
  }
  op.security = security;
  const responses = (op.responses ?? {}) as Record<string, unknown>;
  responses['401'] = {
    description: 'No credentials, or credentials that are not valid (the detail says why: expired, wrong audience, unknown key…).',
    headers,
    content: problem(new BridgeError('UNAUTHORIZED', `credentials are required: ${wantedCredentials(auth)}`)),
  };
  if (auth.scopes.length > 0) {
    responses['403'] = { description: `The token is valid but lacks a required scope (${auth.scopes.join(' ')}).`, headers, content: problem(new BridgeError('FORBIDDEN', `the token lacks the scope ${auth.scopes[0]} (required: ${auth.scopes.join(' ')})`)) };
  }
  op.responses = responses;
}
