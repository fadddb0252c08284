/**
 * `serve --workers N`: a node:cluster primary that forks N workers sharing the port. The bridge
 * keeps no state between requests, so workers need no coordination beyond metrics (summed by
 * the primary), shutdown (SIGTERM is passed on; each worker drains, then the primary exits) and
 * SIGHUP (passed on; each worker reloads its bundles, as each watches them by itself).
 * A worker that dies is replaced, unless workers keep dying, then the primary gives up.
 */
import cluster, { type Worker } from 'node:cluster';
import { relayClusterReloads } from './admin/reload';
import type { Config } from './config';
import { serveClusterMetrics } from './http/metrics';
import { createLogger } from './log';

const MAX_RESTARTS_PER_MINUTE = 5;

/** Runs the primary until SIGTERM/SIGINT; resolves with the exit code. */
export function runPrimary(config: Config, stopExtras?: () => Promise<void>): Promise<number> {
  const logger = createLogger({ level: config.logLevel });
  if (config.metrics) serveClusterMetrics();
  // POST /admin/reload reaches one worker; every listening worker reloads (admin/reload.ts).
  let stopping = false;
  const restarts: number[] = [];
  const listening = new Set<Worker>();

  return new Promise<number>((resolve) => {
    const finish = async (code: number): Promise<void> => {
      if (stopExtras) await stopExtras();
      logger.info('primary stopped', { code });
      resolve(code);
    };

    const stopAll = (reason: string, code: number): void => {
      if (stopping) return;
      stopping = true;
      logger.info('stopping workers', { reason, graceMs: config.shutdownGraceMs });
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
      if (workers.length === 0) {
        void finish(code);
        return;
      }
      const killer = setTimeout(() => {
        for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
      }, config.shutdownGraceMs + 5000);
      let left = workers.length;
      for (const w of workers) {
        w.once('exit', () => {
          if (--left === 0) {
            clearTimeout(killer);
            void finish(code);
          }
        });
        w.process.kill('SIGTERM');
      }
    };

    relayClusterReloads(() => [...listening]);

    cluster.on('listening', (worker) => {
      listening.add(worker);
      if (listening.size === config.workers) logger.info('workers listening', { workers: config.workers, port: config.port });
    });

    cluster.on('exit', (worker, code, signal) => {
      const wasListening = listening.delete(worker);
      if (stopping) return;
      if (!wasListening) {
        logger.error('a worker stopped before it was ready; stopping', { code, signal });
        stopAll('worker failed to start', code || 1);
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length && restarts[0] < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        logger.error('workers keep dying; stopping', { restartsLastMinute: restarts.length });
        stopAll('too many restarts', 1);
        return;
      }
      logger.warn('worker died; starting another', { pid: worker.process.pid, code, signal });
      cluster.fork();
    });

    // Each worker watches and reloads its bundles by itself; SIGHUP (reload everything) is
    // passed on, and handled here so that it does not end the primary.
    process.on('SIGHUP', () => {
      logger.info('signal received; passing it to the workers', { signal: 'SIGHUP' });
      for (const w of listening) if (!w.isDead()) w.process.kill('SIGHUP');
    });
    process.once('SIGTERM', () => stopAll('SIGTERM', 0));
    process.once('SIGINT', () => stopAll('SIGINT', 0));
    for (let i = 0; i < config.workers; i++) cluster.fork();
  });
}
