/**
 * `soap-bridge hash-key`: the hex SHA-256 of an API key, for `auth.apiKeys.keys[].sha256`.
 * The key is read from standard input (so it stays out of the shell history and `ps`), or made
 * up with `--new` (32 random bytes, base64url) and printed with its hash.
 */
import { createHash, randomBytes } from 'node:crypto';

export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A fresh random API key: 32 bytes from the CSPRNG, base64url (43 characters). */
export function newApiKey(): string {
  return randomBytes(32).toString('base64url');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs the command; returns the exit code. */
export async function hashKey(flags: { new?: boolean }, io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  if (flags.new) {
    const key = newApiKey();
    io.stdout.write(`key:    ${key}\nsha256: ${sha256Hex(key)}\n`);
    return 0;
  }
  // One trailing line break (echo, a file) is not part of the key.
  const key = (await readAll(io.stdin)).replace(/\r?\n$/, '');
  if (key === '') {
    io.stderr.write('soap-bridge hash-key: no key on standard input (pipe one in, or use --new to make one)\n');
    return 1;
  }
  if (/[\r\n]/.test(key)) {
    io.stderr.write('soap-bridge hash-key: the input has several lines; give one key\n');
    return 1;
  }
  // What a header cannot deliver as it is: the hash would never match (servers strip the spaces
  // around a header value; control characters are refused).
  if (/^[ \t]|[ \t]$/.test(key) || /[\x00-\x08\x0a-\x1f\x7f]/.test(key)) {
    io.stderr.write('soap-bridge hash-key: the key starts or ends with a space or tab, or holds a control character, which an HTTP header cannot carry as it is; it would never match\n');
    return 1;
  }
  io.stdout.write(`${sha256Hex(key)}\n`);
  return 0;
}
