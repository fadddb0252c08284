/**
 * Known test secrets, and everything the test suite logged: captured bridge logs (captureLog)
 * and child-process outputs tests hand to noteOutput. test/log/secrets-guard.test.ts fails the
 * run if any of these secrets appears in any of it.
 */
export const TEST_SECRETS = {
  /** A wsSecurity password reached through `${SB_TEST_WS_PASSWORD}`. */
  wsPassword: 'ws-Pw-7f3c9e1a-TESTSECRET',
  /** A bearer token callers send in Authorization. */
  bearer: 'bearer-2b8d4f6a-TESTSECRET',
  /** A password in a JSON body. */
  bodyPassword: 'body-Pw-91c0e5d2-TESTSECRET',
  /** An API key sent in x-api-key. */
  apiKey: 'apikey-5e7a3b19-TESTSECRET',
  /** A token a JSON backend gets from restHeaders `${SB_TEST_REST_TOKEN}`. */
  restToken: 'rest-tok-c4d2a8f0-TESTSECRET',
  /** The password of the Redis the rate-limit tests start (in REDIS_URL). */
  redisPassword: 'redis-Pw-3e9b7d15-TESTSECRET',
  /** The passphrase of a client key (mapping `tls.passphrase: ${SB_TEST_TLS_PASSPHRASE}`). */
  tlsPassphrase: 'tls-Pp-83e6b0c7-TESTSECRET',
  /** The admin routes' bearer token (ADMIN_TOKEN). */
  adminToken: 'admin-tok-8e1f3a7c-TESTSECRET',
  /** The HMAC secret of REST facade JWTs (mapping `auth.jwt.secret: ${JWT_SECRET}`); its own value, since registering the shared bearer value as a secret would weaken e2e/secrets. */
  jwtSecret: 'jwt-hs-3a9c71d5e2b84f06c1d7-TESTSECRET',
} as const;

const outputs: { source: string; text: string }[] = [];

/** Records output (a captured log line, a child process's stdout or stderr) for the guard. */
export function noteOutput(source: string, text: string): void {
  outputs.push({ source, text });
}

/** Every noted output with a known secret in it: `source: secret`. */
export function leakedSecrets(): string[] {
  const found: string[] = [];
  const values = Object.values(TEST_SECRETS);
  for (const o of outputs) for (const s of values) if (o.text.includes(s)) found.push(`${o.source}: ${s} in ${o.text.slice(0, 300)}`);
  return found;
}

export function notedCount(): number {
  return outputs.length;
}
