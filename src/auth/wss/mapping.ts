/**
 * `soapAuth:` in mapping.yaml (bundle level, and per operation with `false` to turn it off):
 * the JSON Schema of the key, and its compilation into one UsernameTokenVerifier per setting,
 * with the checks the schema cannot make reported at their YAML position.
 */
import type { Diagnostics } from '../../compile/diagnostics';
import { registerSecret } from '../../log/redact';
import type { MappingPath, Where } from '../../mapping/index';
import { UsernameTokenVerifier, type SoapAuthSettings } from './verify';

export const SOAP_AUTH_SCHEMA = {
  if: { type: 'boolean' },
  then: { const: false, 'x-expect': 'false (no authentication for this operation) or a map with usernameToken' },
  else: {
    type: 'object',
    additionalProperties: false,
    'x-expect': 'a map with usernameToken, or false',
    required: ['usernameToken'],
    properties: {
      usernameToken: {
        type: 'object',
        additionalProperties: false,
        'x-expect': 'a map with users, passwordTypes, maxAgeSec and clockSkewSec',
        required: ['users'],
        properties: {
          users: {
            type: 'array',
            minItems: 1,
            'x-expect': 'a list of one or more users, each with username and password',
            items: {
              type: 'object',
              additionalProperties: false,
              'x-expect': 'a user: a map with username and password',
              required: ['username', 'password'],
              properties: {
                username: { type: 'string', minLength: 1, 'x-expect': 'a user name (use ${VAR})' },
                password: { type: 'string', minLength: 1, 'x-expect': 'a password from the environment: ${VAR}' },
              },
            },
          },
          passwordTypes: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            'x-expect': 'a list of accepted password types: [digest], [text] or [digest, text]',
            items: { enum: ['digest', 'text'], 'x-expect': 'digest or text' },
          },
          maxAgeSec: { type: 'integer', minimum: 1, maximum: 86400, 'x-expect': 'the replay window in seconds (an integer from 1 to 86400)' },
          clockSkewSec: { type: 'integer', minimum: 0, maximum: 3600, 'x-expect': 'the accepted clock skew in seconds (an integer from 0 to 3600)' },
        },
      },
    },
  },
} as const;

export type SoapAuthSpec = false | { usernameToken: SoapAuthSettings };

/**
 * The verifier of each operation, from the bundle's and the operations' `soapAuth`: one verifier
 * per setting, shared by the operations it covers. Duplicate user names are errors; a setting on
 * a service without SOAP facade is a warning.
 */
export function compileSoapAuth(
  bundle: SoapAuthSpec | undefined,
  operations: Record<string, { soapAuth?: SoapAuthSpec }>,
  where: Where,
  diags: Diagnostics,
  soapFacade: boolean,
): (operation: string) => UsernameTokenVerifier | undefined {
  const verifiers = new Map<string, UsernameTokenVerifier | undefined>();
  const build = (spec: SoapAuthSpec | undefined, at: MappingPath): UsernameTokenVerifier | undefined => {
    if (!spec) return undefined;
    if (!soapFacade) {
      diags.warn(where(at, true), `${at.join('.')} has no effect: the service has no SOAP facade (no restBackend)`);
      return undefined;
    }
    const seen = new Set<string>();
    let ok = true;
    spec.usernameToken.users.forEach((u, i) => {
      // The passwords came from the environment (${VAR}): never in a log line or an error body.
      registerSecret(u.password);
      if (seen.has(u.username)) {
        diags.error(where([...at, 'usernameToken', 'users', i, 'username']), `${at.join('.')}.usernameToken.users[${i}].username: the user "${u.username}" is listed twice`);
        ok = false;
      }
      seen.add(u.username);
    });
    return ok ? new UsernameTokenVerifier(spec.usernameToken) : undefined;
  };
  const bundleVerifier = build(bundle, ['soapAuth']);
  for (const [name, op] of Object.entries(operations)) {
    if (op.soapAuth !== undefined) verifiers.set(name, build(op.soapAuth, ['operations', name, 'soapAuth']));
  }
  return (operation) => (verifiers.has(operation) ? verifiers.get(operation) : bundleVerifier);
}
