/**
 * Benchmark plumbing: child processes for targets, autocannon runs, RSS sampling, tables.
 * Loopback only; every child is stopped when the run ends, whatever happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';

export const DIST = path.resolve(__dirname);
export const ROOT = path.resolve(__dirname, '..', '..');

export interface Target {
  name: string;
  proc: ChildProcess;
  port: number;
}

const children: ChildProcess[] = [];

export function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    stopAll();
    process.exit(130);
  });

/** Starts `bench/targets/<script>.js` and waits (bounded) for its `READY <port>` line. */
export function startTarget(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Target> {
  const proc = spawn(process.execPath, [...nodeArgs, path.join(DIST, 'targets', `${script}.js`)], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ name, proc, port: Number(m[1]) });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready: ${out}`));
    });
  });
}

export async function stopTarget(t: Target): Promise<void> {
  if (t.proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => t.proc.once('exit', () => resolve()));
  t.proc.stdin?.end();
  const timer = setTimeout(() => t.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A free port on loopback, for targets that must listen on a known one (a cluster). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A process and its children (the workers of a cluster), from /proc. */
function pidsOf(pid: number): number[] {
  const pids = [pid];
  try {
    for (const c of fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/)) if (c) pids.push(Number(c));
  } catch {
    /* no children file: a single process */
  }
  return pids;
}

/** Resident set size of a process and its children, in bytes. */
export function rssOf(pid: number): number {
  let total = 0;
  for (const p of pidsOf(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* exited */
    }
  }
  return total;
}

export interface HttpCall {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function post(port: number, call: HttpCall, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: call.path, method: 'POST', headers: call.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(call.body);
  });
}

/** CPU time (user + system) a process and its children have used, in milliseconds, from /proc. */
export function cpuMsOf(pid: number): number {
  let ticks = 0;
  for (const p of pidsOf(pid)) {
    try {
      const fields = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      /* exited */
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** sysconf(_SC_CLK_TCK): 100 on Linux. */
const CLOCK_TICKS = 100;

export interface RunResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** What the errors were, when there were any. */
  errorKinds?: string;
  peakRss: number;
  /** CPU time the target used during the run. */
  cpuMs: number;
}

/** One autocannon run against a target, every reply compared with `expectBody`. */
export async function drive(t: Target, call: HttpCall, opts: { connections: number; seconds: number; expectBody?: string }): Promise<RunResult> {
  let peakRss = rssOf(t.proc.pid!);
  const cpuBefore = cpuMsOf(t.proc.pid!);
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssOf(t.proc.pid!));
  }, 100);
  try {
    const result = await autocannon({
      url: `http://127.0.0.1:${t.port}${call.path}`,
      method: 'POST',
      headers: call.headers,
      body: call.body,
      connections: opts.connections,
      duration: opts.seconds,
      expectBody: opts.expectBody,
      timeout: 30,
    });
    const errors = result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0);
    const errorKinds = errors ? `errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, mismatches ${result.mismatches ?? 0}` : undefined;
    return {
      errorKinds,
      cpuMs: cpuMsOf(t.proc.pid!) - cpuBefore,
      requests: result.requests.total,
      seconds: result.duration,
      rps: result.requests.total / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors,
      peakRss: Math.max(peakRss, rssOf(t.proc.pid!)),
    };
  } finally {
    clearInterval(sampler);
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Combines the rounds of one target and scenario. */
export function combine(runs: RunResult[]): RunResult {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    errorKinds: runs.map((r) => r.errorKinds).filter(Boolean).join('; ') || undefined,
    peakRss: Math.max(...runs.map((r) => r.peakRss)),
    cpuMs: runs.reduce((a, r) => a + r.cpuMs, 0),
  };
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const mb = (bytes: number): string => (bytes / 1048576).toFixed(0);
