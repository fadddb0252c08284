/**
 * mapping.yaml: read with positions, checked against its JSON Schema, `${VAR}` substituted.
 * Every problem is reported at the line and column of the YAML node it is about, with a
 * "did you mean" hint for misspelt keys.
 */
import fs from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Diagnostics } from '../compile/diagnostics';
import type { SourcePos } from '../model/xsd';

export interface Mapping {
  name?: string;
  wsdl?: string;
  soapBackend?: string;
  restBackend?: string;
  timeoutMs?: number;
  soapVersion?: '1.1' | '1.2';
}

export const MAPPING_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'URL name of the service; default: the folder name' },
    wsdl: { type: 'string', minLength: 1, description: 'WSDL file, relative to the bundle folder' },
    soapBackend: { type: 'string', pattern: '^https?://', description: 'SOAP endpoint JSON callers reach (REST facade)' },
    restBackend: { type: 'string', pattern: '^https?://', description: 'JSON service SOAP callers reach (SOAP facade)' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 3600000, description: 'backend call timeout in milliseconds' },
    soapVersion: { enum: ['1.1', '1.2'], description: 'which SOAP binding the REST facade uses when the WSDL has both' },
  },
} as const;

const KNOWN_KEYS = Object.keys(MAPPING_SCHEMA.properties);
const validateMapping = new Ajv2020({ allErrors: true, strict: false }).compile(MAPPING_SCHEMA);

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

/** Loads a mapping file. A missing file is an empty mapping; problems go to `diags`. */
export function loadMapping(file: string, env: NodeJS.ProcessEnv, diags: Diagnostics): Mapping {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    diags.error({ file, line: 1, col: 1 }, `cannot read mapping: ${(e as Error).message}`);
    return {};
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const posOf = (offset: number | undefined): SourcePos => {
    const lp = lines.linePos(offset ?? 0);
    return { file, line: lp.line, col: lp.col };
  };
  for (const err of doc.errors) diags.error(posOf(err.pos[0]), `YAML: ${err.message.split('\n')[0]}`);
  if (doc.errors.length) return {};
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) {
    diags.error(posOf(doc.contents.range?.[0]), 'mapping.yaml must be a map of keys (name, wsdl, soapBackend, …)');
    return {};
  }
  const raw = doc.toJS() as Record<string, unknown>;
  const nodeAt = (path: (string | number)[]): YamlNode | undefined => {
    const n = doc.getIn(path, true);
    return n && typeof n === 'object' && 'range' in (n as object) ? (n as YamlNode) : undefined;
  };
  const keyPos = (key: string): SourcePos => {
    const map = doc.contents as unknown as { items: { key: YamlNode }[] };
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
    return posOf(pair?.key.range?.[0]);
  };
  let ok = true;
  if (!validateMapping(raw)) {
    ok = false;
    for (const e of validateMapping.errors ?? []) {
      const path = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (e.keyword === 'additionalProperties') {
        const key = String(e.params.additionalProperty);
        const hint = didYouMean(key, KNOWN_KEYS);
        diags.error(keyPos(key), `unknown key \`${key}\`${hint ? ` (did you mean \`${hint}\`?)` : ` (known keys: ${KNOWN_KEYS.join(', ')})`}`);
      } else {
        const node = nodeAt(path);
        diags.error(posOf(node?.range?.[0]), `${path.join('.') || 'mapping'} ${e.message}`);
      }
    }
  }
  const result: Mapping = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') continue;
    const { value: v, missing } = substituteEnv(value, env);
    for (const name of missing) {
      ok = false;
      diags.error(posOf(nodeAt([key])?.range?.[0]), `${key}: environment variable ${name} is not set (use \${${name}:-default} for a default)`);
    }
    raw[key] = v;
  }
  if (!ok) return result;
  // Values after substitution must still satisfy the schema (e.g. a URL built from ${HOST}).
  if (!validateMapping(raw)) {
    for (const e of validateMapping.errors ?? []) {
      const key = e.instancePath.split('/')[1] ?? '';
      diags.error(posOf(nodeAt([key])?.range?.[0]), `${key} (after \${…} substitution) ${e.message}`);
    }
    return result;
  }
  return raw as Mapping;
}

