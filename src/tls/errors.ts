/**
 * TLS failures of a backend call in words: which side refused and what to set in `tls`.
 * OpenSSL's and Node's codes are stable; their messages are not shown (no stack, no paths).
 */

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/** Alerts the backend sends when it refuses our certificate (TLS 1.2 and 1.3 spellings). */
const REFUSED_OURS = /ALERT_(?:BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|DECRYPT_ERROR|ACCESS_DENIED)$/;

/**
 * A TLS problem of the error (its code, or its cause's) in words; undefined when it is not a
 * TLS problem.
 */
export function describeTlsFailure(e: unknown): string | undefined {
  const err = e as { code?: unknown; reason?: unknown; cause?: { code?: unknown; reason?: unknown } } | undefined;
  const code = typeof err?.cause?.code === 'string' ? err.cause.code : typeof err?.code === 'string' ? err.code : undefined;
  if (!code) return undefined;
  if (UNTRUSTED.has(code)) return `TLS: the backend's certificate is not signed by a trusted CA (${code}); trust its CA with tls.ca`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const reason = typeof err?.cause?.reason === 'string' ? err.cause.reason : typeof err?.reason === 'string' ? err.reason : 'the name does not match';
    return `TLS: the backend's certificate is not valid for this host name (${reason}); set tls.servername to a name the certificate holds`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `TLS: the backend's certificate has expired (${code})`;
  if (code === 'CERT_NOT_YET_VALID') return `TLS: the backend's certificate is not valid yet (${code})`;
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return `TLS: the backend requires a client certificate (${code}); set tls.cert and tls.key`;
  if (code.startsWith('ERR_SSL_') && REFUSED_OURS.test(code)) {
    const what = /EXPIRED/.test(code) ? 'it has expired' : /UNKNOWN_CA/.test(code) ? 'its issuer is not a CA the backend trusts' : 'it is not accepted';
    return `TLS: the backend refused the client certificate: ${what} (${code}); check tls.cert and tls.key`;
  }
  // TLS 1.2 has no certificate_required alert: a server that demands a client certificate and gets none sends handshake_failure.
  if (code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE') return `TLS: the backend refused the handshake (${code}); it may require a client certificate (set tls.cert and tls.key), or share no cipher with the bridge`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return `TLS: the backend does not speak TLS on this port (${code}); is it an http:// URL?`;
  if (code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION') return `TLS: the backend and the bridge share no TLS version (${code}); check tls.minVersion`;
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `TLS handshake with the backend failed (${code})`;
  return undefined;
}
