/**
 * Starting and stopping the bridge: compile the bundles, serve them, drain on shutdown.
 * The CLI and the demo both come through here; tests do too.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClusterReloads, inCluster, reloadAndDescribe, reloadCluster, type ReloadAnswer } from './admin/reload';
import { compileServices, type Bundle } from './compile';
import { warmUp } from './compile/warm';
import { initLibxmlFor } from './compile/libxml';
import type { Config } from './config';
import { createRequestListener, ServiceRegistry, type AppState } from './http/app';
import { Metrics } from './http/metrics';
import { createLogger, logDiagnostics, type Logger } from './log';
import { Reloader, type ReloadReport } from './reload/reloader';
import { BundleWatcher } from './reload/watcher';
import { Transport } from './transport/http';
import { RateLimits } from './ratelimit/limits';

export interface StartOptions {
  /** Environment for `${VAR}` in mapping files; default process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface RunningBridge {
  server: http.Server;
  url: string;
  port: number;
  logger: Logger;
  registry: ServiceRegistry;
  /** Whether bundle files are being watched (WATCH, --no-watch). */
  watching: boolean;
  /** Recompiles every bundle folder and swaps in what compiles (what SIGHUP does). */
  reload(): Promise<ReloadReport>;
  /** Stops watching, stops accepting, lets in-flight requests finish (up to SHUTDOWN_GRACE_MS), then closes. */
  close(): Promise<void>;
}

/** Kept here too: callers imported it from main before it moved to log. */
export { logDiagnostics } from './log';

export class StartError extends Error {
  override name = 'StartError';
}

export function loadBundles(config: Config, logger: Logger, env?: NodeJS.ProcessEnv): Bundle[] {
  const { bundles, diagnostics } = compileServices(config.servicesDir, { env });
  logDiagnostics(logger, diagnostics);
  for (const b of bundles) {
    logger.info('service loaded', { service: b.name, operations: b.operations.size, restFacade: b.restFacade, wsdl: b.wsdlFile });
  }
  return bundles;
}

/**
 * Builds, between requests, what big bundles leave to first use (compile/warm.ts), and logs an
 * operation whose schema does not compile: its calls answer 500 until the bundle is fixed.
 */
export async function warmBundles(bundles: Bundle[], logger: Logger, keepGoing: () => boolean): Promise<void> {
  const report = await warmUp(bundles, { keepGoing });
  for (const f of report.failed) logger.error('operation cannot be compiled; its calls answer 500', { service: f.service, operation: f.operation, error: f.message });
  if (report.warmed > 0) logger.info('operations warmed', { operations: report.warmed, ms: Math.round(report.ms) });
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningBridge> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, defaultMeta: cluster.isWorker ? { worker: cluster.worker?.id } : undefined });
  await initLibxmlFor([config.servicesDir]);
  const bundles = loadBundles(config, logger, options.env);
  if (bundles.length === 0) throw new StartError(`no service bundle in ${config.servicesDir} could be loaded (see the errors above)`);
  const registry = new ServiceRegistry();
  const metrics = config.metrics ? new Metrics() : undefined;
  const reloader = new Reloader({ servicesDir: config.servicesDir, registry, logger, env: options.env, metrics });
  reloader.adopt(bundles);
  const transport = new Transport({
    connectionsPerOrigin: config.backendMaxConnections,
    maxQueuePerOrigin: config.backendMaxQueue,
    connectTimeoutMs: config.backendConnectTimeoutMs,
    retryBackoffMs: config.backendRetryBackoffMs,
    breaker: config.breakerFailures > 0 ? { failures: config.breakerFailures, resetMs: config.breakerResetMs, windowMs: config.breakerWindowMs } : false,
  });
  metrics?.watchBackends(() => transport.status());
  // Bounded: with RATE_LIMIT_STORE=redis and Redis down, serving starts with per-instance limits.
  const rateLimits = await RateLimits.create(config, logger);
  const state: AppState = { ready: false };
  let watcher: BundleWatcher | undefined;
  const reload = async (): Promise<ReloadReport> => {
    const report = await reloader.reloadAll();
    await watcher?.syncOutside();
    return report;
  };
  // POST /admin/reload: what SIGHUP does (`reload`), in every worker under cluster (the primary relays it).
  const reloadHere = (): Promise<ReloadAnswer> => reloadAndDescribe(registry, () => reload());
  const stopAnswering = inCluster() ? answerClusterReloads(reloadHere) : undefined;
  const adminReload = inCluster() ? reloadCluster : reloadHere;
  const server = http.createServer(createRequestListener({ registry, logger, config, transport, state, metrics, reload: adminReload, rateLimits, env: options.env }));
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await rateLimits.close(0);
    throw e;
  }
  watcher = config.watch ? await startWatcher(reloader, config, logger) : undefined;
  state.ready = true;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('listening', { url, services: bundles.map((b) => b.name) });
  let stopping = false;
  void warmBundles(bundles, logger, () => !stopping);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopping = true;
      state.ready = false;
      stopAnswering?.();
      const deadline = Date.now() + config.shutdownGraceMs;
      // New connections are refused from here on (the listening socket closes now, not after
      // the watcher and the reloader have stopped); idle keep-alive connections are closed.
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      logger.info('shutting down', { graceMs: config.shutdownGraceMs });
      // No swap once draining starts: requests finish on the bundles they started with.
      await watcher?.close();
      await reloader.close();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), Math.max(0, deadline - Date.now()));
      });
      const result = await Promise.race([drained, expired]);
      clearTimeout(timer);
      if (result === 'expired') {
        logger.warn('grace period over; closing the remaining connections');
        server.closeAllConnections();
        await drained;
      }
      // Backend calls of requests cut at the end of the grace period (or whose caller left)
      // would otherwise keep the pool open until their own timeout.
      await transport.close(deadline - Date.now());
      await rateLimits.close(Math.min(1000, Math.max(0, deadline - Date.now())));
      // Strict mode's libxml2 schemas (wasm memory): nothing uses them once the server is closed.
      for (const b of registry.list()) b.strict?.retire();
      logger.info('stopped');
    })();
    return closing;
  };
  return { server, url, port, logger, registry, watching: watcher !== undefined, reload, close };
}

/**
 * The process-level safety net of `serve` (README "Errors"). Every request's failures are caught
 * by the request listener; what reaches these events comes from elsewhere:
 * - `unhandledRejection` (a promise nobody awaited, e.g. in background work): logged with its
 *   stack, and the bridge keeps serving: a rejected promise leaves no state half-changed.
 * - `uncaughtException` (a throw in an event handler or timer): logged, then `fatal` runs once
 *   (serve: drain like SIGTERM, then exit 1 for the supervisor to restart it), because after an
 *   uncaught exception Node does not promise a consistent state. A second one while draining
 *   is only logged.
 * Returns a function that removes both listeners.
 */
export function installProcessGuards(proc: NodeJS.EventEmitter, logger: Logger, fatal: (err: unknown) => void): () => void {
  const describe = (e: unknown): { error: string; stack?: string } => {
    const err = e as { message?: unknown; stack?: unknown } | undefined;
    return { error: typeof err?.message === 'string' ? err.message : String(e), stack: typeof err?.stack === 'string' ? err.stack : undefined };
  };
  const onRejection = (reason: unknown): void => {
    logger.error('unhandled promise rejection; still serving', describe(reason));
  };
  let fatalCalled = false;
  const onException = (err: unknown): void => {
    logger.error(fatalCalled ? 'uncaught exception while stopping' : 'uncaught exception; draining, then exiting with 1', describe(err));
    if (fatalCalled) return;
    fatalCalled = true;
    fatal(err);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}

/** Starts watching the bundles; a watcher that cannot start turns hot reload off, not the bridge. */
async function startWatcher(reloader: Reloader, config: Config, logger: Logger): Promise<BundleWatcher | undefined> {
  const watcher = new BundleWatcher({ reloader, logger, debounceMs: config.reloadDebounceMs });
  try {
    await watcher.start();
    logger.info('watching bundles for changes', { folder: reloader.root, outside: reloader.outsideDirs(), debounceMs: watcher.quietMs });
    return watcher;
  } catch (e) {
    logger.error('cannot watch the bundle folders; hot reload is off (SIGHUP still reloads)', { error: (e as Error)?.message });
    await watcher.close();
    return undefined;
  }
}
