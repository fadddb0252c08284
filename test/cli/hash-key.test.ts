/**
 * `soap-bridge hash-key` as a child process: the SHA-256 of a key given on standard input (one
 * trailing line break ignored, the key itself never printed), `--new`, and refusals.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, it } from 'mocha';
import { CLI } from '../support/child';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

function run(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'hash-key', ...args], { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      noteOutput('soap-bridge hash-key stdout', stdout);
      noteOutput('soap-bridge hash-key stderr', stderr);
      resolve({ code, stdout, stderr });
    });
    proc.stdin.end(input ?? '');
  });
}

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('soap-bridge hash-key', function () {
  it('prints the hex SHA-256 of the key on standard input, not the key', async () => {
    const r = await run([], `${TEST_SECRETS.apiKey}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${sha(TEST_SECRETS.apiKey)}\n`);
    assert.ok(!r.stdout.includes(TEST_SECRETS.apiKey));
    // Without a trailing line break, and with CRLF, the same.
    assert.equal((await run([], TEST_SECRETS.apiKey)).stdout, `${sha(TEST_SECRETS.apiKey)}\n`);
    assert.equal((await run([], `${TEST_SECRETS.apiKey}\r\n`)).stdout, `${sha(TEST_SECRETS.apiKey)}\n`);
  });

  it('--new makes a random key and prints it with its hash', async () => {
    const a = await run(['--new']);
    const b = await run(['--new']);
    assert.equal(a.code, 0, a.stderr);
    const m = /^key: +([A-Za-z0-9_-]{43})\nsha256: ([0-9a-f]{64})\n$/.exec(a.stdout);
    assert.ok(m, a.stdout);
    assert.equal(m[2], sha(m[1]));
    assert.notEqual(a.stdout, b.stdout);
  });

  it('no key, or several lines: exit 1 with a message', async () => {
    const empty = await run([], '');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no key on standard input/);
    assert.equal(empty.stdout, '');
    const two = await run([], 'a\nb\n');
    assert.equal(two.code, 1);
    assert.match(two.stderr, /several lines/);
  });

  it('a key an HTTP header cannot carry as it is (spaces or tabs around it, control characters): exit 1, no hash that could never match', async () => {
    // Servers strip the spaces around a header value, so the hash of " key" would never match what arrives.
    for (const input of [` ${TEST_SECRETS.apiKey}\n`, `${TEST_SECRETS.apiKey}\t\n`, `${TEST_SECRETS.apiKey} \n`, `${TEST_SECRETS.apiKey}\u0001x\n`]) {
      const r = await run([], input);
      assert.equal(r.code, 1, JSON.stringify(input));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /an HTTP header cannot carry/);
      assert.ok(!r.stderr.includes(TEST_SECRETS.apiKey));
    }
    // Spaces inside the key are fine.
    const inner = await run([], `${TEST_SECRETS.apiKey} x\n`);
    assert.equal(inner.code, 0, inner.stderr);
    assert.equal(inner.stdout, `${sha(`${TEST_SECRETS.apiKey} x`)}\n`);
  });
});
