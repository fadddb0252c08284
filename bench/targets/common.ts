/**
 * Shared by the benchmark's child processes: each listens on an ephemeral loopback port and
 * announces it on stdout as `READY <port>`, then runs until its parent closes stdin or kills it.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

export function announce(server: http.Server): void {
  const port = (server.address() as AddressInfo).port;
  process.stdout.write(`READY ${port}\n`);
  // The parent ends a target by closing our stdin (or by a signal).
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

export function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`missing environment variable ${name}\n`);
    process.exit(2);
  }
  return v;
}
