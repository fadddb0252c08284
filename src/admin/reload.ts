/**
 * `POST /admin/reload`: what SIGHUP does (recompile every bundle, swap in what compiles, keep the
 * previous version of what does not), answered as JSON. Under node:cluster the request reaches
 * one worker; it asks the primary, which has every worker reload and collects their answers.
 */
import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { formatDiagnostic } from '../compile/diagnostics';
import type { ServiceRegistry } from '../http/registry';
import type { ReloadReport } from '../reload/reloader';

export type BundleOutcome = 'loaded' | 'reloaded' | 'unchanged' | 'refused' | 'unloaded';

export interface BundleReloadAnswer {
  /** The service name (for a refused folder: what the folder serves now, if anything). */
  service?: string;
  /** The bundle folder's name. */
  folder: string;
  status: BundleOutcome;
  /** What the served version is now. */
  generation?: number;
  hash?: string;
  /** `file:line:col message` lines: why a reload was refused. */
  diagnostics?: string[];
}

export interface ReloadAnswer {
  /** The registry's generation after the reload. */
  generation: number;
  bundles: BundleReloadAnswer[];
  /** Under cluster: each worker's answer (the first is the one that took the request). */
  workers?: { pid: number; generation?: number; error?: string; refused?: number }[];
}

/**
 * Reloads and describes the outcome per bundle folder: `reloaded` when the new version's files
 * differ from the served one's, `unchanged` when they are the same (it is recompiled all the
 * same), `refused` with the diagnostics (the previous version keeps serving).
 */
export async function reloadAndDescribe(registry: ServiceRegistry, reload: () => Promise<ReloadReport>): Promise<ReloadAnswer> {
  const before = new Map(registry.served().map((s) => [s.bundle.dir, s]));
  const report = await reload();
  const after = registry.served();
  const refused = new Map(report.refused.map((r) => [path.resolve(r.folder), r]));
  const bundles: BundleReloadAnswer[] = [];
  for (const s of after) {
    const dir = s.bundle.dir;
    const refusal = refused.get(path.resolve(dir));
    const facts = { service: s.bundle.name, folder: path.basename(dir), generation: s.generation, hash: s.hash };
    if (refusal) {
      bundles.push({ ...facts, status: 'refused', diagnostics: refusal.diagnostics.map((d) => formatDiagnostic(d)) });
      refused.delete(path.resolve(dir));
    } else {
      const previous = before.get(dir);
      bundles.push({ ...facts, status: !previous ? 'loaded' : previous.hash === s.hash && previous.bundle.name === s.bundle.name ? 'unchanged' : 'reloaded' });
    }
  }
  // Refused folders that serve nothing (a new folder that does not compile).
  for (const [folder, r] of refused) bundles.push({ folder: path.basename(folder), status: 'refused', diagnostics: r.diagnostics.map((d) => formatDiagnostic(d)) });
  const served = new Set(after.map((s) => s.bundle.dir));
  for (const [dir, s] of before) if (!served.has(dir)) bundles.push({ service: s.bundle.name, folder: path.basename(dir), status: 'unloaded' });
  bundles.sort((a, b) => a.folder.localeCompare(b.folder));
  return { generation: registry.generation, bundles };
}

const ASK = 'soap-bridge:reload?';
const DO = 'soap-bridge:reload!';
const DONE = 'soap-bridge:reload.';
const ANSWER = 'soap-bridge:reload=';
/** How long the primary waits for every worker, and a worker for the primary. */
const RELOAD_WAIT_MS = 120_000;

interface Message {
  type?: string;
  id?: number;
  answer?: ReloadAnswer;
  answers?: { pid: number; answer?: ReloadAnswer; error?: string }[];
  error?: string;
}

let nextId = 0;

/** In a worker: carries out the reloads the primary asks for (POST /admin/reload taken by any worker). */
export function answerClusterReloads(reloadHere: () => Promise<ReloadAnswer>): () => void {
  const onMessage = (m: unknown): void => {
    const msg = m as Message;
    if (msg?.type !== DO || !process.send) return;
    reloadHere().then(
      (answer) => process.send?.({ type: DONE, id: msg.id, answer }),
      (e: Error) => process.send?.({ type: DONE, id: msg.id, error: e?.message ?? String(e) }),
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** In a worker: has every worker reload (through the primary); this worker's answer first, with the others' in `workers`. */
export function reloadCluster(): Promise<ReloadAnswer> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error(`the primary did not answer the reload request within ${RELOAD_WAIT_MS / 1000} s`));
    }, RELOAD_WAIT_MS);
    const onMessage = (m: unknown): void => {
      const msg = m as Message;
      if (msg?.type !== ANSWER || msg.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (msg.error) return reject(new Error(msg.error));
      const answers = [...(msg.answers ?? [])].sort((a, b) => (a.pid === process.pid ? -1 : b.pid === process.pid ? 1 : a.pid - b.pid));
      const mine = answers.find((a) => a.pid === process.pid)?.answer ?? answers.find((a) => a.answer)?.answer;
      if (!mine) return reject(new Error(`no worker could reload: ${answers.map((a) => a.error).join('; ')}`));
      const workers = answers.map((a) => (a.answer ? { pid: a.pid, generation: a.answer.generation, refused: a.answer.bundles.filter((b) => b.status === 'refused').length } : { pid: a.pid, error: a.error ?? 'no answer' }));
      resolve({ ...mine, workers });
    };
    process.on('message', onMessage);
    process.send!({ type: ASK, id });
  });
}

/** In the primary: relays a worker's reload request to every worker, and their answers back. */
export function relayClusterReloads(workers: () => Worker[]): void {
  let nextRun = 0;
  const waiting = new Map<number, { left: Set<number>; answers: Map<number, { pid: number; answer?: ReloadAnswer; error?: string }>; done: () => void }>();
  cluster.on('message', (from, m: unknown) => {
    const msg = m as Message;
    if (msg?.type === DONE) {
      const run = waiting.get(msg.id ?? -1);
      if (!run || !run.left.has(from.id)) return;
      run.left.delete(from.id);
      run.answers.set(from.id, { pid: from.process.pid ?? 0, answer: msg.answer, error: msg.error });
      if (run.left.size === 0) run.done();
      return;
    }
    if (msg?.type !== ASK) return;
    const targets = workers().filter((w) => !w.isDead());
    const runId = ++nextRun;
    const answers = new Map<number, { pid: number; answer?: ReloadAnswer; error?: string }>();
    const left = new Set(targets.map((w) => w.id));
    let finished = false;
    const onExit = (w: Worker): void => {
      if (!left.has(w.id)) return;
      left.delete(w.id);
      answers.set(w.id, { pid: w.process.pid ?? 0, error: 'the worker stopped during the reload' });
      if (left.size === 0) done();
    };
    const timer = setTimeout(() => {
      for (const w of targets) if (left.has(w.id)) answers.set(w.id, { pid: w.process.pid ?? 0, error: `no answer within ${RELOAD_WAIT_MS / 1000} s` });
      done();
    }, RELOAD_WAIT_MS - 5000);
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      cluster.off('exit', onExit);
      waiting.delete(runId);
      if (!from.isDead()) from.send({ type: ANSWER, id: msg.id, answers: [...answers.values()] });
    };
    waiting.set(runId, { left, answers, done });
    cluster.on('exit', onExit);
    for (const w of targets) w.send({ type: DO, id: runId });
    if (targets.length === 0) done();
  });
}

/** Whether this process is a worker that a primary relays reloads for. */
export function inCluster(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}
