/**
 * The JSON Schema of the `auth` key of mapping.yaml (bundle and operation level): who may call
 * the REST facade. Kept here, next to the code that compiles it; mapping/schema.ts plugs it in.
 * "At least one of" rules are checked by compileAuth, which reports them as one line (an anyOf
 * here would add a line per alternative).
 */

/** Algorithms a JWT may be signed with; `none` is never one of them. */
export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const STRING_OR_LIST = {
  type: ['string', 'array'],
  minLength: 1,
  minItems: 1,
  items: { type: 'string', minLength: 1 },
} as const;

export const AUTH_SCHEMA = {
  if: { type: 'boolean' },
  then: { const: false, 'x-expect': 'false (a public operation) or a map with apiKeys and/or jwt' },
  else: {
    type: 'object',
    additionalProperties: false,
    'x-expect': 'a map with apiKeys and/or jwt, or false',
    properties: {
      apiKeys: {
        type: 'object',
        additionalProperties: false,
        'x-expect': 'a map with header and keys',
        required: ['keys'],
        properties: {
          header: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", 'x-expect': 'an HTTP header name, like X-API-Key' },
          keys: {
            type: 'array',
            minItems: 1,
            'x-expect': 'a list of keys, each {id, sha256}',
            items: {
              type: 'object',
              additionalProperties: false,
              'x-expect': 'a key: {id: name, sha256: hex SHA-256 of the key}',
              required: ['id', 'sha256'],
              properties: {
                id: { type: 'string', minLength: 1, 'x-expect': 'a name for the key holder (it becomes the principal)' },
                sha256: { type: 'string', minLength: 1, 'x-expect': 'the hex SHA-256 of the key (soap-bridge hash-key), or ${VAR}' },
              },
            },
          },
        },
      },
      jwt: {
        type: 'object',
        additionalProperties: false,
        'x-expect': 'a map with secret, publicKey or jwks, and the claims to check',
        properties: {
          secret: { type: 'string', minLength: 1, 'x-expect': 'an HMAC secret from the environment: ${VAR}' },
          publicKey: { type: 'string', minLength: 1, 'x-expect': 'a PEM file, relative to the bundle folder' },
          jwks: { type: 'string', minLength: 1, 'x-expect': 'a JWKS (JSON Web Key Set) file, relative to the bundle folder' },
          algorithms: {
            type: 'array',
            minItems: 1,
            'x-expect': 'a list of algorithms',
            items: { enum: JWT_ALGORITHMS, 'x-expect': `one of ${JWT_ALGORITHMS.join(', ')} ("none" is never accepted)` },
          },
          issuer: { ...STRING_OR_LIST, 'x-expect': 'the expected iss (a string or a list)' },
          audience: { ...STRING_OR_LIST, 'x-expect': 'the expected aud (a string or a list)' },
          clockToleranceSec: { type: 'integer', minimum: 0, maximum: 3600, 'x-expect': 'seconds of clock skew allowed (an integer, 0 to 3600)' },
          scopes: { type: 'array', items: { type: 'string', pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$', 'x-expect': 'a scope name (printable, no spaces, quotes or backslashes)' }, 'x-expect': 'a list of scopes the token must all have (scope or scp claim)' },
        },
      },
    },
  },
} as const;
