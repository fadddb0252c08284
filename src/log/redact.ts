/**
 * Secrets redaction for log lines and error bodies: values of credential headers
 * (authorization, cookie, x-api-key, …), of JSON fields named like a password, token or key,
 * the content of WS-Security Password, Nonce and BinarySecurityToken elements and of any text-only
 * element with such a name in XML text (plain or XML-escaped), and every value registered as a secret (a mapping's `${ENV}`
 * wsSecurity password). Cheap on the common path: a string or line with no candidate word and
 * no registered secret in it is returned as it is.
 */

export const REDACTED = '[REDACTED]';

/** Header names whose values are credentials, whatever they hold. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-access-token', 'x-csrf-token', 'x-xsrf-token']);

/** Field names (JSON members, log fields, form/query keys) whose values are secrets. */
const SECRET_NAME = /password|passwd|passphrase|^pass$|pwd$|secret|token|api[-_]?key|apikey|subscription[-_]?key|access[-_]?key|credential|private[-_]?key|^nonce$|^cookie$|^set-cookie$|authorization$/i;

/** A string worth looking at: it holds one of the words any of the patterns below needs. */
const CANDIDATE = /pass|pwd|secret|token|api[-_]?key|subscription[-_]?key|access[-_]?key|credential|private|nonce|cookie|authoriz/i;

/** WS-Security elements whose content is a secret, as markup or escaped markup. */
const WSSE_ELEMENT = /(<|&lt;)((?:[A-Za-z_][\w.-]*:)?(?:Password|Nonce|BinarySecurityToken))(\s[^<>]*?)?(>|&gt;)([\s\S]*?)(<|&lt;)\/\2(>|&gt;)/g;
/**
 * Any element with text content only whose local name is a secret name (`<tns:ApiKey>`,
 * `<accessToken>`, `<ns:password>`), as markup or escaped markup: what a soapHeaders block or a
 * SOAP body may carry besides WS-Security's own elements.
 */
const SECRET_LEAF = /(<|&lt;)((?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*))(\s[^<>]*?)?(>|&gt;)((?:(?!<|&lt;)[^])*?)(<|&lt;)\/\2(>|&gt;)/g;
/** `"password": "…"` (also with escaped quotes, JSON inside a JSON string); a number or a flat list as the value too (`"pin": 1234`, `"apiKey": ["…"]`). */
const JSON_MEMBER = /(\\?")([A-Za-z0-9_.-]*)(\\?"\s*:\s*)(?:"((?:[^"\\]|\\.)*)"|\\"((?:[^"\\]|\\(?!")[\s\S])*)\\"|(-?\d[\d.eE+-]*|\[(?:[^[\]{}"\\]|\\?"(?:[^"\\]|\\[^"])*\\?")*\]))/g;
/** `authorization: Bearer …` or `Cookie=…` in free text (to the end of the line or quote). */
const HEADER_TEXT = /\b(authorization|proxy-authorization|set-cookie|cookie|x-api-key|x-auth-token)(\s*[:=]\s*)([^\r\n"<]*)/gi;
/** `password=…` in a query string, form body or message. */
const KEY_VALUE = /\b([A-Za-z0-9_.-]*(?:pass(?:word|wd)?|secret|token|api[-_]?key|credential)[A-Za-z0-9_.-]*)=([^&\s"<;,]*)/gi;

const secrets = new Set<string>();
/** Secrets and their XML-escaped forms, longest first, rebuilt when one is added. */
let secretForms: string[] = [];

/** A value (from the environment) that must never appear in a log line or error body. Short values (under 4 characters) are ignored: they would redact ordinary text. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4 || secrets.has(value)) return;
  secrets.add(value);
  const forms = new Set<string>();
  for (const s of secrets) {
    forms.add(s);
    const xml = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    forms.add(xml);
    const json = JSON.stringify(s).slice(1, -1);
    forms.add(json);
  }
  secretForms = [...forms].sort((a, b) => b.length - a.length);
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  secrets.clear();
  secretForms = [];
}

export function isSecretName(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase()) || SECRET_NAME.test(name);
}

function hasSecret(s: string): boolean {
  for (const f of secretForms) if (s.includes(f)) return true;
  return false;
}

/** Whether a string may hold something to redact (the cheap test done first). */
export function mayHoldSecret(s: string): boolean {
  return CANDIDATE.test(s) || (secretForms.length > 0 && hasSecret(s));
}

/** The text with every secret it holds replaced by [REDACTED]. */
export function redactText(s: string): string {
  if (!mayHoldSecret(s)) return s;
  let out = s;
  if (secretForms.length > 0) for (const f of secretForms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  if (!CANDIDATE.test(out)) return out;
  out = out.replace(WSSE_ELEMENT, (_m, lt: string, name: string, attrs: string | undefined, gt: string, _content: string, lt2: string, gt2: string) => `${lt}${name}${attrs ?? ''}${gt}${REDACTED}${lt2}/${name}${gt2}`);
  out = out.replace(SECRET_LEAF, (m, lt: string, name: string, local: string, attrs: string | undefined, gt: string, content: string, lt2: string, gt2: string) =>
    content !== '' && content !== REDACTED && isSecretName(local) ? `${lt}${name}${attrs ?? ''}${gt}${REDACTED}${lt2}/${name}${gt2}` : m,
  );
  out = out.replace(JSON_MEMBER, (m, q1: string, key: string, colon: string, plain: string | undefined, _escaped: string | undefined, other: string | undefined) => {
    // A non-secret member's string may hold JSON of its own (escaped): look inside it.
    if (!isSecretName(key)) return plain !== undefined && CANDIDATE.test(plain) ? `${q1}${key}${colon}"${redactText(plain)}"` : m;
    // A number or a list becomes the string "[REDACTED]", quoted like its member's name.
    const q = other !== undefined ? q1 : plain !== undefined ? '"' : '\\"';
    return `${q1}${key}${colon}${q}${REDACTED}${q}`;
  });
  out = out.replace(HEADER_TEXT, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  out = out.replace(KEY_VALUE, (_m, key: string) => `${key}=${REDACTED}`);
  return out;
}

/**
 * A copy of a value with secrets redacted: members with a secret name get [REDACTED], strings
 * go through redactText. Objects are copied, never changed; cycles are cut.
 */
export function redactValue(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, seen));
  if (value instanceof Error) {
    const e: Record<string, unknown> = { name: value.name, message: redactText(value.message) };
    if (value.stack) e.stack = redactText(value.stack);
    return e;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) && (typeof v === 'string' || typeof v === 'number' || Array.isArray(v)) ? REDACTED : redactValue(v, seen);
  return out;
}

/** Redacts the own enumerable string-keyed fields of a log record in place (winston's info). */
export function redactRecord(info: Record<string, unknown>): void {
  const seen = new WeakSet<object>();
  for (const k of Object.keys(info)) {
    const v = info[k];
    if (isSecretName(k) && (typeof v === 'string' || typeof v === 'number' || Array.isArray(v))) info[k] = REDACTED;
    else info[k] = redactValue(v, seen);
  }
}
