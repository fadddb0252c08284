/**
 * mapping.yaml: read with positions, checked against its JSON Schema (mapping/schema.ts),
 * `${VAR}` substituted in every string value. Every problem is reported at the line and column
 * of the YAML node it is about, with a "did you mean" hint for misspelt keys. The checks against
 * the WSDL come later (mapping/compile.ts) and use `where` to point at the same nodes.
 */
import fs from 'node:fs';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { Diagnostics } from '../compile/diagnostics';
import type { SourcePos } from '../model/xsd';
import type { HttpMethod } from '../model/route';
import type { RateLimitSpec } from '../ratelimit/rule';
import type { TlsSpec } from '../tls/outbound';
import type { SoapAuthSpec } from '../auth/wss/mapping';
import type { AuthSetting } from '../auth';
import type { AuthFailuresSpec } from '../ratelimit/auth-failures';
import { knownKeys, MAPPING_SCHEMA } from './schema';

/** A field's value in `fields:` maps: a source string, `{from, default}` or `{const}`. */
export type FieldValue = string | { from?: string; default?: unknown; const?: unknown };

export interface TransformSpec {
  /** Only for SOAP header blocks of simple type: the whole value. */
  value?: FieldValue;
  body?: boolean;
  pick?: string;
  fields?: Record<string, FieldValue>;
  drop?: string[];
}

export interface FaultRuleSpec {
  code?: string;
  string?: string;
  detail?: string;
  status: number;
  type?: string;
  title?: string;
}

export interface SoapFaultRuleSpec {
  status: number | string;
  code: 'Client' | 'Server' | 'Sender' | 'Receiver';
  subcode?: string;
}

export interface SoapHeaderSpec {
  element: string;
  mustUnderstand?: boolean;
  fields?: Record<string, FieldValue>;
  value?: FieldValue;
}

export interface UsernameTokenSpec {
  username: string;
  password: string;
  passwordType?: 'text' | 'digest';
  nonce?: boolean;
  created?: boolean;
}

export type SecuritySpec = false | { usernameToken: UsernameTokenSpec };

export interface RestCallSpec {
  method?: HttpMethod;
  path?: string;
  query?: string[];
  headers?: Record<string, string>;
  request?: TransformSpec;
  response?: TransformSpec;
}

export interface OperationMapping {
  route?: string;
  request?: TransformSpec;
  response?: TransformSpec;
  faults?: FaultRuleSpec[];
  soapFaults?: SoapFaultRuleSpec[];
  soapHeaders?: SoapHeaderSpec[];
  security?: SecuritySpec;
  /** SOAP facade: inbound WS-Security UsernameToken check, or false for none. */
  soapAuth?: SoapAuthSpec;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Safe to send twice: retried after a connection error, timeout or 502-504. */
  idempotent?: boolean;
  soapVersion?: '1.1' | '1.2';
  binding?: string;
  soapBackend?: string;
  restBackend?: string;
  restCall?: RestCallSpec;
  /** This operation's own rate limit, or false for none (src/ratelimit). */
  rateLimit?: RateLimitSpec;
  /** Outbound TLS of this operation's backend; replaces the service's `tls`. */
  tls?: TlsSpec;
  /** REST facade authentication of this operation: replaces the bundle's; false: public. */
  auth?: AuthSetting;
}

/** The circuit breaker of the bundle's backends; false turns it off. */
export type CircuitBreakerSpec = { failures: number; resetMs: number; windowMs?: number } | false;

export interface Mapping {
  name?: string;
  wsdl?: string;
  soapBackend?: string;
  restBackend?: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Default of the operations' `idempotent`. */
  idempotent?: boolean;
  circuitBreaker?: CircuitBreakerSpec;
  soapVersion?: '1.1' | '1.2';
  binding?: string;
  defaultRoutes?: boolean;
  /** `strict`: the SOAP Body XML is also validated against the WSDL's schemas by libxml2. */
  validation?: 'fast' | 'strict';
  soapHeaders?: SoapHeaderSpec[];
  security?: SecuritySpec;
  /** SOAP facade: inbound WS-Security UsernameToken check of every operation. */
  soapAuth?: SoapAuthSpec;
  faults?: FaultRuleSpec[];
  soapFaults?: SoapFaultRuleSpec[];
  restHeaders?: Record<string, string>;
  /** Requests per client per window for the whole service (src/ratelimit). */
  rateLimit?: RateLimitSpec;
  /** Failed authentications per caller address per window before the address is blocked (src/ratelimit/auth-failures.ts). */
  authFailures?: AuthFailuresSpec;
  /** Outbound TLS of the bundle's https:// backends. */
  tls?: TlsSpec;
  /** REST facade authentication (API keys, JWT) of every operation. */
  auth?: AuthSetting;
  operations?: Record<string, OperationMapping>;
}

export type MappingPath = (string | number)[];

/** The position of a value (or, with `key`, of its key) in the mapping file. */
export type Where = (path: MappingPath, key?: boolean) => SourcePos;

export interface LoadedMapping {
  mapping: Mapping;
  where: Where;
  /** The file it came from; undefined for the default (empty) mapping. */
  file?: string;
}

export { MAPPING_SCHEMA };

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
ajv.addVocabulary(['x-expect', 'x-oneOf-expect', 'x-anyOf-expect', 'x-not-expect']);
const validateMapping = ajv.compile(MAPPING_SCHEMA);

function levenshtein(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

export function didYouMean(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = c.toLowerCase() === word.toLowerCase() ? 0 : levenshtein(word.toLowerCase(), c.toLowerCase());
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}`; returns the names that are not set and have no default. */
export function substituteEnv(value: string, env: NodeJS.ProcessEnv): { value: string; missing: string[] } {
  const missing: string[] = [];
  const out = value.replace(ENV_REF, (_m, name: string, def: string | undefined) => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (def !== undefined) return def;
    missing.push(name);
    return '';
  });
  return { value: out, missing };
}

/** `operations.Add.request.fields.intA`, `faults[0].status`. */
export function formatPath(path: MappingPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function pointerToPath(pointer: string): MappingPath {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function positions(doc: Document, lines: LineCounter, file: string): Where {
  const posOf = (offset: number | undefined): SourcePos => {
    const lp = lines.linePos(offset ?? 0);
    return { file, line: lp.line, col: lp.col };
  };
  return (path, key = false) => {
    let node: unknown = doc.contents;
    let keyNode: YamlNode | undefined;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
        if (!pair) break;
        keyNode = pair.key as YamlNode;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number' && node.items[step] !== undefined) {
        keyNode = undefined;
        node = node.items[step];
      } else break;
    }
    const target = key && keyNode ? keyNode : (node as YamlNode | null);
    return posOf(target?.range?.[0] ?? keyNode?.range?.[0]);
  };
}

/** One line per schema problem, at the node it is about. */
function reportSchemaErrors(errors: ErrorObject[], where: Where, diags: Diagnostics, suffix = ''): void {
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if') continue; // the branch's own error says what is wrong
    const path = pointerToPath(e.instancePath);
    const parent = e.parentSchema as Record<string, unknown> | undefined;
    const label = formatPath(path) || 'mapping';
    let pos = where(path);
    let message: string;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params.additionalProperty);
        const known = knownKeys(parent);
        const hint = didYouMean(key, known);
        pos = where([...path, key], true);
        message = `${path.length ? `${label}: ` : ''}unknown key \`${key}\`${hint ? ` (did you mean \`${hint}\`?)` : known.length ? ` (known keys here: ${known.join(', ')})` : ''}`;
        break;
      }
      case 'required':
        message = `${label}: \`${String(e.params.missingProperty)}\` is required`;
        break;
      case 'oneOf':
      case 'anyOf':
      case 'not': {
        const expect = parent?.[`x-${e.keyword}-expect`];
        message = `${label}: give ${typeof expect === 'string' ? expect : e.message}`;
        break;
      }
      case 'propertyNames':
        continue; // reported with the offending name by the `pattern` error below it
      case 'minimum':
      case 'maximum':
        message = `${label} ${e.message}`;
        break;
      default: {
        const expect = parent?.['x-expect'];
        if (e.keyword === 'pattern' && e.propertyName !== undefined) {
          pos = where([...path, e.propertyName], true);
          message = `${label}: \`${e.propertyName}\` is not a valid name here`;
        } else message = typeof expect === 'string' ? `${label}: expected ${expect}` : `${label} ${e.message}`;
      }
    }
    const k = `${pos.line}:${pos.col}:${message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    diags.error(pos, message + suffix);
  }
}

/** Substitutes `${VAR}` in every string value, in place; reports unset variables at their node. */
function substituteAll(value: unknown, path: MappingPath, env: NodeJS.ProcessEnv, where: Where, diags: Diagnostics): unknown {
  if (typeof value === 'string') {
    const { value: v, missing } = substituteEnv(value, env);
    for (const name of missing) {
      diags.error(where(path), `${formatPath(path)}: environment variable ${name} is not set (use \${${name}:-default} for a default)`);
    }
    return v;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteAll(v, [...path, i], env, where, diags));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteAll(v, [...path, k], env, where, diags);
    return out;
  }
  return value;
}

/** The default mapping: no file, every key at its default. */
export function emptyMapping(): LoadedMapping {
  return { mapping: {}, where: () => ({ file: '', line: 1, col: 1 }) };
}

/** Loads a mapping file. A missing file is the empty mapping; problems go to `diags`. */
export function loadMapping(file: string, env: NodeJS.ProcessEnv, diags: Diagnostics): LoadedMapping {
  const none: LoadedMapping = { mapping: {}, where: () => ({ file, line: 1, col: 1 }) };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...none, file: undefined };
    diags.error({ file, line: 1, col: 1 }, `cannot read mapping: ${(e as Error).message}`);
    return none;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = positions(doc, lines, file);
  const loaded: LoadedMapping = { mapping: {}, where, file };
  for (const err of doc.errors) {
    const lp = lines.linePos(err.pos[0]);
    diags.error({ file, line: lp.line, col: lp.col }, `YAML: ${err.message.split('\n')[0]}`);
  }
  if (doc.errors.length || doc.contents === null) return loaded;
  if (!isMap(doc.contents)) {
    diags.error(where([]), 'mapping.yaml must be a map of keys (name, wsdl, soapBackend, operations, …)');
    return loaded;
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  if (!validateMapping(raw)) {
    reportSchemaErrors(validateMapping.errors ?? [], where, diags);
    return loaded;
  }
  const before = diags.errors.length;
  const substituted = substituteAll(raw, [], env, where, diags) as Record<string, unknown>;
  if (diags.errors.length > before) return loaded;
  // Values after substitution must still satisfy the schema (e.g. a URL built from ${HOST}).
  if (!validateMapping(substituted)) {
    reportSchemaErrors(validateMapping.errors ?? [], where, diags, ' (after ${…} substitution)');
    return loaded;
  }
  loaded.mapping = substituted as Mapping;
  return loaded;
}
