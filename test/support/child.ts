/**
 * The `soap-bridge` CLI as a child process for tests: its output collected line by line (and
 * handed to the secrets guard, test/support/secrets.ts), its exit awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './compile';
import { noteOutput } from './secrets';

export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export interface CliChild {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface CliOptions {
  cwd?: string;
  /** Added to a minimal environment (PATH, LOG_LEVEL=info); a variable set to undefined is left out. */
  env?: Record<string, string | undefined>;
  /** Node's own options, before the CLI (e.g. `-r` a module). */
  nodeArgs?: string[];
  /** Another script to run instead of the CLI (e.g. the demo's start.js); its output is noted the same way. */
  script?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], options: CliOptions = {}): CliChild {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: Object.fromEntries(Object.entries({ PATH: process.env.PATH, LOG_LEVEL: 'info', ...options.env }).filter(([, v]) => v !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const label = `${options.script ? path.basename(options.script) : 'soap-bridge'} ${args[0] ?? ''}`;
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout.push(c);
    noteOutput(`${label} stdout`, c);
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr.push(c);
    noteOutput(`${label} stderr`, c);
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stdout, stderr, exit };
}

/**
 * Runs the CLI to its end and collects its output (what spawnSync gave the tests before, but
 * with the output noted for the secrets guard). Killed with SIGKILL after `timeoutMs`.
 */
export async function runCli(args: string[], options: CliOptions & { timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), options.timeoutMs ?? 30000);
  try {
    const { code, signal } = await child.exit;
    // 'exit' can come before the last output: wait for both streams to end.
    await Promise.all([child.proc.stdout, child.proc.stderr].map((s) => (s && !s.readableEnded ? new Promise((r) => s.once('close', r)) : undefined)));
    return { code, signal, stdout: child.stdout.join(''), stderr: child.stderr.join('') };
  } finally {
    clearTimeout(timer);
  }
}
