/**
 * soap-bridge as the benchmark runs it: the demo bundles pointed at the mock backend, logs at
 * `info` to a null stream (the access line is still built and written), metrics as configured
 * (METRICS), one process or a cluster (WORKERS, on the fixed PORT the harness chose).
 */
import cluster from 'node:cluster';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runPrimary } from '../../src/cluster';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { startServer } from '../../src/main';
import { announce, env } from './common';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function servicesDir(backend: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-bench-'));
  for (const name of ['calculator', 'orders']) {
    fs.mkdirSync(path.join(dir, name));
    for (const f of fs.readdirSync(path.join(ROOT, 'wsdl', name))) {
      if (f.endsWith('.wsdl') || f.endsWith('.xsd')) fs.copyFileSync(path.join(ROOT, 'wsdl', name, f), path.join(dir, name, f));
    }
    fs.writeFileSync(path.join(dir, name, 'mapping.yaml'), `soapBackend: ${backend}\n`);
  }
  return dir;
}

async function main(): Promise<void> {
  const backend = env('BACKEND_URL');
  if (cluster.isPrimary) process.env.BENCH_SERVICES = servicesDir(backend);
  const dir = env('BENCH_SERVICES');
  const config = loadConfig({ servicesDir: dir, host: '127.0.0.1', port: process.env.PORT ?? '0' }, process.env);
  if (config.workers > 1 && cluster.isPrimary) {
    let ready = 0;
    cluster.on('listening', () => {
      if (++ready === config.workers) process.stdout.write(`READY ${config.port}\n`);
    });
    process.stdin.resume();
    process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    process.exit(await runPrimary(config));
  }
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const bridge = await startServer(config, { logger: createLogger({ level: 'info', stream: sink }) });
  if (cluster.isWorker) return;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  announce(bridge.server);
}

void main();
