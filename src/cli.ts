#!/usr/bin/env node
/**
 * The soap-bridge command. Thin: parses flags, then calls into compile/ and main.
 */
import cluster from 'node:cluster';
import path from 'node:path';
import { Command, Option } from 'commander';
import dotenv from 'dotenv';
import { hashKey } from './auth/hash-key';
import { compileServices, compileWsdlFile, type Bundle, type BundleResult } from './compile';
import { initLibxmlFor } from './compile/libxml';
import { formatDiagnostic, type Diagnostic } from './compile/diagnostics';
import { ConfigError, loadConfig } from './config';
import { generateOpenApi } from './openapi';
import type { RunningBridge } from './main';
import { scaffold, ScaffoldError, type InitOptions } from './scaffold';

export interface ServeFlags {
  services?: string;
  port?: string;
  host?: string;
  logLevel?: string;
  workers?: string;
  /** false for --no-metrics; undefined leaves it to METRICS. */
  metrics?: boolean;
  /** false for --no-watch; undefined leaves it to WATCH. */
  watch?: boolean;
}

/**
 * Runs the bridge until SIGTERM/SIGINT, then drains and exits 0. `before` starts what must run
 * beside it (the demo backends) once, in the primary, and returns how to stop it.
 */
export async function serve(flags: ServeFlags, before?: () => Promise<() => Promise<void>>): Promise<void> {
  const config = loadConfig({ servicesDir: flags.services, port: flags.port, host: flags.host, logLevel: flags.logLevel, workers: flags.workers, metrics: flags.metrics, watch: flags.watch });
  if (config.workers > 1 && cluster.isPrimary) {
    const stopExtras = before ? await before() : undefined;
    const { runPrimary } = require('./cluster') as typeof import('./cluster');
    process.exit(await runPrimary(config, stopExtras));
  }
  const stopExtras = before && !cluster.isWorker ? await before() : undefined;
  // Loaded here, not at the top: `validate` does not need the HTTP stack.
  const { startServer } = require('./main') as typeof import('./main');
  // SIGHUP reloads every bundle, with or without --no-watch. Handled from the start, because
  // unhandled it would end the process (the primary passes it on as soon as a worker listens).
  // A SIGHUP that arrives while the server starts (a worker listens before its watcher is up,
  // and the primary passes signals on from then) is kept and carried out once it has started.
  let started: RunningBridge | undefined;
  let hupWhileStarting = false;
  const onHup = (): void => {
    if (!started) {
      hupWhileStarting = true;
      return;
    }
    started.logger.info('signal received; reloading every bundle', { signal: 'SIGHUP' });
    void started.reload();
  };
  process.on('SIGHUP', onHup);
  let bridge: RunningBridge;
  try {
    bridge = started = await startServer(config);
  } catch (e) {
    if (stopExtras) await stopExtras();
    throw e;
  }
  if (hupWhileStarting) onHup();
  const { installProcessGuards } = require('./main') as typeof import('./main');
  installProcessGuards(process, bridge.logger, () => {
    void bridge
      .close()
      .then(() => stopExtras?.())
      .finally(() => process.exit(1));
  });
  const stop = async (signal: string): Promise<void> => {
    bridge.logger.info('signal received', { signal });
    await bridge.close();
    if (stopExtras) await stopExtras();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

function printDiagnostics(list: Diagnostic[], strict: boolean): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of list) {
    const asError = d.severity === 'error' || strict;
    if (asError) errors++;
    else warnings++;
    process.stdout.write(formatDiagnostic(strict ? { ...d, severity: 'error' } : d) + '\n');
  }
  return { errors, warnings };
}

function summary(result: BundleResult, label: string): string {
  if (!result.bundle) return `${label}: not loaded`;
  const b = result.bundle;
  const ops = new Set(b.models.map((m) => m.name)).size;
  return `${label}: ${ops} operation${ops === 1 ? '' : 's'}${b.restFacade ? '' : ' (SOAP facade only)'}`;
}

export function validate(files: string[], flags: { services?: string; strict?: boolean }): number {
  const strict = flags.strict === true;
  let errors = 0;
  let warnings = 0;
  const lines: string[] = [];
  if (files.length > 0) {
    for (const f of files) {
      // Eager: `validate` builds every validator, whatever the WSDL's size, to report what does not compile.
      const result = compileWsdlFile(f, { eager: true });
      const n = printDiagnostics(result.diagnostics, strict);
      errors += n.errors;
      warnings += n.warnings;
      lines.push(summary(result, f));
    }
  } else {
    const dir = flags.services ?? process.env.SERVICES_DIR ?? './wsdl';
    const { bundles, diagnostics } = compileServices(dir, { eager: true });
    const n = printDiagnostics(diagnostics, strict);
    errors += n.errors;
    warnings += n.warnings;
    for (const b of bundles) lines.push(summary({ bundle: b, diagnostics: [] }, path.join(dir, path.basename(b.dir))));
  }
  for (const l of lines) process.stderr.write(l + '\n');
  process.stderr.write(`${errors === 0 ? 'valid' : 'invalid'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  return errors === 0 ? 0 : 1;
}

/** Bundles of the WSDL files (each with the default mapping), or of the services folder. */
function loadForOpenApi(files: string[], services: string | undefined): { bundles: Bundle[]; diagnostics: Diagnostic[] } {
  if (files.length === 0) return compileServices(services ?? process.env.SERVICES_DIR ?? './wsdl');
  const bundles: Bundle[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const result = compileWsdlFile(f);
    diagnostics.push(...result.diagnostics);
    if (!result.bundle) continue;
    const other = bundles.find((b) => b.name === result.bundle!.name);
    // Two files of one name would share their URLs (/api/{name}/...): refused, as in a services folder.
    if (other) diagnostics.push({ severity: 'error', file: result.bundle.wsdlFile, line: 1, col: 1, message: `service name "${other.name}" is already used by ${other.wsdlFile}` });
    else bundles.push(result.bundle);
  }
  return { bundles, diagnostics };
}

/**
 * Prints the OpenAPI document of the REST side on stdout; diagnostics (file:line:col) and notes
 * on stderr. Exits 1, printing no document, when a bundle does not load: a partial document
 * would pass for the whole one in a pipeline.
 */
export function openapi(files: string[], flags: { services?: string }): number {
  const { bundles, diagnostics } = loadForOpenApi(files, flags.services);
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) {
    process.stderr.write(`openapi: ${errors} error${errors === 1 ? '' : 's'}; no document written\n`);
    return 1;
  }
  const { document, omitted, warnings } = generateOpenApi(bundles);
  for (const w of warnings) process.stderr.write(`openapi: warning: ${w}\n`);
  for (const o of omitted) process.stderr.write(`openapi: no example for ${o.operationId} (${o.where}): ${o.reason}\n`);
  process.stdout.write(JSON.stringify(document, null, 2) + '\n');
  return 0;
}

/** A path as the user would type it: relative to the working folder when below it. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** `soap-bridge init`: scaffolds a bundle; 0 when written, 1 (one line on stderr, or the WSDL's diagnostics) otherwise. */
export function init(file: string, flags: Omit<InitOptions, 'wsdl'>): number {
  let result: ReturnType<typeof scaffold>;
  try {
    result = scaffold({ ...flags, wsdl: file });
  } catch (e) {
    // Bad input and file-system refusals alike end in one line, never a stack trace.
    const message = e instanceof ScaffoldError ? e.message : `cannot scaffold ${file}: ${(e as Error).message}`;
    process.stderr.write(`soap-bridge init: ${message}\n`);
    return 1;
  }
  const counts = printDiagnostics(result.diagnostics, false);
  if (!result.loaded) {
    process.stderr.write(`soap-bridge init: ${file} does not load (${counts.errors} error${counts.errors === 1 ? '' : 's'}); nothing written\n`);
    return 1;
  }
  const out = shown(result.outDir);
  const services = shown(path.dirname(result.outDir)) || '.';
  const lines = [`Bundle "${result.name}" (${result.operations} operation${result.operations === 1 ? '' : 's'}) in ${out}/:`];
  for (const f of result.written) lines.push(`  wrote ${shown(f)}`);
  for (const f of result.unchanged) lines.push(`  kept  ${shown(f)} (already in place)`);
  for (const n of result.notes) lines.push(`note: ${n}`);
  lines.push(
    'Next steps:',
    `  1. edit ${shown(path.join(result.outDir, 'mapping.yaml'))}: uncomment what you need (it is valid as it stands)`,
    `  2. npx soap-bridge validate --services ${services}`,
    `  3. npx soap-bridge serve --services ${services}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export interface MockFlags {
  port?: string;
  host?: string;
  fixtures?: string;
  logLevel?: string;
}

/**
 * `soap-bridge mock FILE.wsdl`: serves the mock until SIGTERM/SIGINT, then exits 0. Load problems
 * are printed as `file:line:col message` on stderr; one that stops the mock exits 2.
 */
export async function mock(file: string, flags: MockFlags): Promise<void> {
  // PORT, HOST, LOG_LEVEL, MAX_BODY_BYTES and SHUTDOWN_GRACE_MS as for serve; the host defaults to loopback.
  const config = loadConfig({ port: flags.port, host: flags.host ?? process.env.HOST ?? '127.0.0.1', logLevel: flags.logLevel });
  const { createLogger } = require('./log') as typeof import('./log');
  const { startMock, MockLoadError } = require('./mock') as typeof import('./mock');
  const logger = createLogger({ level: config.logLevel });
  let started: Awaited<ReturnType<typeof startMock>>;
  try {
    started = await startMock(file, { fixtures: flags.fixtures, port: config.port, host: config.host, logger, maxBodyBytes: config.maxBodyBytes, graceMs: config.shutdownGraceMs });
  } catch (e) {
    if (!(e instanceof MockLoadError)) throw e;
    for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    process.stderr.write(`soap-bridge mock: ${e.message}\n`);
    process.exit(2);
  }
  for (const d of started.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  const { mock: m, running } = started;
  const answers = [...m.answers.values()];
  const count = (source: string): number => new Set(answers.filter((a) => a.source === source).map((a) => a.operation)).size;
  logger.info('mock listening', {
    url: running.url,
    wsdl: path.resolve(file),
    contract: `${running.url}/?wsdl`,
    soapVersions: [...m.bundle.soapOperations.keys()],
    operations: new Set(answers.map((a) => a.operation)).size,
    samples: count('sample'),
    fixtures: count('fixture'),
    oneWay: count('one-way'),
    withoutReply: count('none'),
  });
  const stop = async (signal: string): Promise<void> => {
    logger.info('signal received', { signal });
    await running.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('soap-bridge').description('JSON in front of SOAP services, and SOAP in front of JSON services, driven by the WSDL').showHelpAfterError();

  program
    .command('serve')
    .description('serve every service bundle of a folder')
    .option('--services <dir>', 'folder of service bundles (env SERVICES_DIR, default ./wsdl)')
    .option('--port <n>', 'port to listen on (env PORT, default 8080)')
    .option('--host <h>', 'address to listen on (env HOST, default 0.0.0.0)')
    .addOption(new Option('--log-level <level>', 'log level (env LOG_LEVEL, default info)'))
    .option('--workers <n>', 'processes serving requests, node:cluster (env WORKERS, default 1)')
    .option('--no-metrics', 'do not serve /metrics nor count requests (env METRICS)')
    .option('--no-watch', 'do not reload bundles when their files change (env WATCH); SIGHUP still reloads')
    .action(async (flags: ServeFlags) => {
      await serve({ ...flags, metrics: flags.metrics === false ? false : undefined, watch: flags.watch === false ? false : undefined });
    });

  program
    .command('validate')
    .description('load and check bundles; prints each problem as file:line:col message')
    .argument('[wsdl...]', 'WSDL files to check as bundles with the default mapping')
    .option('--services <dir>', 'folder of service bundles (default ./wsdl)')
    .option('--strict', 'treat warnings (such as disabled operations) as errors')
    .action(async (files: string[], flags: { services?: string; strict?: boolean }) => {
      await initLibxmlFor([flags.services ?? process.env.SERVICES_DIR ?? './wsdl', ...files.map((f) => path.dirname(f))]);
      process.exitCode = validate(files, flags);
    });

  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the REST side (JSON) on stdout')
    .argument('[wsdl...]', 'WSDL files to describe as bundles with the default mapping')
    .option('--services <dir>', 'folder of service bundles (env SERVICES_DIR, default ./wsdl)')
    .action(async (files: string[], flags: { services?: string }) => {
      await initLibxmlFor([flags.services ?? process.env.SERVICES_DIR ?? './wsdl', ...files.map((f) => path.dirname(f))]);
      process.exitCode = openapi(files, flags);
    });

  program
    .command('init')
    .description('scaffold a service bundle: copy a WSDL and its local imports, write a commented mapping.yaml')
    .argument('<wsdl>', 'the WSDL file')
    .option('--out <dir>', 'the bundle folder to create (default ./wsdl/<name>)')
    .option('--name <name>', "the service's URL name (default: from the WSDL's file name)")
    .option('--force', 'write into a folder that is not empty (files of the same name are replaced)')
    .action((file: string, flags: { out?: string; name?: string; force?: boolean }) => {
      process.exitCode = init(file, flags);
    });

  program
    .command('mock')
    .description('serve a mock SOAP endpoint for a WSDL: every operation answers a schema-valid sample reply (or a fixture)')
    .argument('<wsdl>', 'the WSDL file')
    .option('--port <n>', 'port to listen on (env PORT, default 8080; 0 for any free port)')
    .option('--host <h>', 'address to listen on (env HOST, default 127.0.0.1)')
    .option('--fixtures <dir>', 'folder of <Operation>.json files: the JSON form of the reply an operation answers with')
    .addOption(new Option('--log-level <level>', 'log level (env LOG_LEVEL, default info)'))
    .action(async (file: string, flags: MockFlags) => {
      await mock(file, flags);
    });

  program
    .command('hash-key')
    .description('print the hex SHA-256 of an API key read from standard input, for auth.apiKeys in mapping.yaml')
    .option('--new', 'make a random key and print it with its hash')
    .action(async (flags: { new?: boolean }) => {
      process.exitCode = await hashKey(flags, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  dotenv.config({ quiet: true });
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof ConfigError || (e instanceof Error && e.name === 'StartError')) {
      process.stderr.write(`soap-bridge: ${e.message}\n`);
      process.exit(2);
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      process.stderr.write(`soap-bridge: cannot listen: ${err.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

if (require.main === module) void main(process.argv);
