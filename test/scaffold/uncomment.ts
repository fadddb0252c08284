/**
 * What an integrator does to a scaffolded mapping.yaml, done by program: uncomment settings.
 * Written against the file's documented convention ("# " marks a setting, "##" explains), not
 * against the scaffold's code, so a change in either shows up here.
 */
import { parseDocument } from 'yaml';

export interface Uncomment {
  /** Operation blocks to turn on ('all', or names). `operations:` is uncommented with them. */
  operations?: 'all' | string[];
  /** Top-level settings to turn on, with their continuation lines (`faults`, `timeoutMs`, …). */
  top?: string[];
  /**
   * Follow each block's "# or GET /path, with query.a, query.b as the sources below" hint: the
   * route becomes a GET and the request's `body.` sources become `query.` ones.
   */
  getHints?: boolean;
}

/** A block, uncommented, turned into the GET its route line suggests (unchanged without a hint). */
function followGetHint(block: string[]): string[] {
  const route = block.findIndex((l) => /^ {4}route: POST (\S+) +# or GET \1(,|:)/.test(l));
  if (route < 0) return block;
  const out = [...block];
  out[route] = out[route].replace(/^( {4}route: )POST (\S+) .*$/, '$1GET $2');
  let inRequest = false;
  for (let i = 0; i < out.length; i++) {
    if (/^ {4}\S/.test(out[i])) inRequest = out[i].startsWith('    request:');
    else if (inRequest) out[i] = out[i].replace(/^( {8}[^#\s][^:]*: )body\./, '$1query.');
  }
  return out;
}

/** The key of a `# Key:` line, read as YAML reads it (names may be quoted). */
function keyOf(line: string): string | undefined {
  const doc = parseDocument(line.trim());
  const js: unknown = doc.errors.length ? undefined : doc.toJS();
  if (!js || typeof js !== 'object' || Array.isArray(js)) return undefined;
  const keys = Object.keys(js);
  return keys.length === 1 ? keys[0] : undefined;
}

export function uncomment(text: string, what: Uncomment): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const top = /^# (?!#)(.*)$/.exec(line);
    if (top && top[1] === 'operations:' && what.operations) {
      out.push('operations:');
      continue;
    }
    if (top && what.top?.includes(keyOf(top[1]) ?? '')) {
      out.push(top[1]);
      // Continuation lines of a top-level setting start with "#  " (deeper than the key).
      while (i + 1 < lines.length && /^# {2}/.test(lines[i + 1])) out.push(lines[++i].slice(2));
      continue;
    }
    const op = /^ {2}# (?![# ])(.*:)$/.exec(line);
    const name = op ? keyOf(op[1]) : undefined;
    if (op && name !== undefined && (what.operations === 'all' || what.operations?.includes(name))) {
      const block: string[] = [];
      while (i + 1 < lines.length && lines[i + 1].startsWith('  # ')) block.push(`  ${lines[++i].slice(4)}`);
      out.push(`  ${op[1]}`, ...(what.getHints ? followGetHint(block) : block));
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}
