/**
 * soap-bridge as the benchmark runs it: the demo bundles pointed at the mock backend, logs at
 * `info` to a null stream (the access line is still built and written), one process or a cluster.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { startServer } from '../../src/main';
import { announce, env } from './common';

const ROOT = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const backend = env('BACKEND_URL');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-bench-'));
  for (const name of ['calculator', 'orders']) {
    fs.mkdirSync(path.join(dir, name));
    for (const f of fs.readdirSync(path.join(ROOT, 'wsdl', name))) {
      if (f.endsWith('.wsdl') || f.endsWith('.xsd')) fs.copyFileSync(path.join(ROOT, 'wsdl', name, f), path.join(dir, name, f));
    }
    fs.writeFileSync(path.join(dir, name, 'mapping.yaml'), `soapBackend: ${backend}\n`);
  }
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const config = loadConfig({ servicesDir: dir, port: '0', host: '127.0.0.1' }, process.env);
  const bridge = await startServer(config, { logger: createLogger({ level: 'info', stream: sink }) });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  announce(bridge.server);
}

void main();
