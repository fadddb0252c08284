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
  /** Added to a minimal environment (PATH, LOG_LEVEL=info). */
  env?: Record<string, string>;
  /** Node's own options, before the CLI (e.g. `-r` a module). */
  nodeArgs?: string[];
}

export function spawnCli(args: string[], options: CliOptions = {}): CliChild {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const label = `soap-bridge ${args[0] ?? ''}`;
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
