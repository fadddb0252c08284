/**
 * Hot reload, the watching half: chokidar over the services folder (every bundle folder, new
 * ones included) and over the folders of files that bundles import from outside it. Events are
 * turned into the bundle folders they affect, collected while they keep coming (editors save in
 * several steps) and handed to the Reloader as one batch once the files have been quiet for the
 * debounce time. Folders are watched rather than single files so that an atomic save (write a
 * temporary file, rename it over the old one) and a file deleted and written again are seen.
 */
import path from 'node:path';
import { FSWatcher } from 'chokidar';
import type { Logger } from '../log';
import { isWithin, type Reloader } from './reloader';

export interface WatcherOptions {
  reloader: Reloader;
  logger: Logger;
  debounceMs: number;
  /** How long `start` waits for the first scan of a folder before going on without it. */
  readyTimeoutMs?: number;
}

/** Extensions of the files a bundle folder is built from (its WSDL, schemas, mapping and the TLS files of `tls`). */
const BUNDLE_EXTENSIONS = new Set(['.wsdl', '.xsd', '.xml', '.yaml', '.yml', '.pem', '.crt', '.cer', '.key']);

/** Bundle folders nest their schemas a few levels at most; a limit keeps a misconfigured root (/) cheap. */
const TREE_DEPTH = 8;

/**
 * chokidar drops every `change` of a path for 50 ms after it emitted one, without a trailing
 * event (FSWatcher._emit, `_throttle(CHANGE, path, 50)`): a second save inside that window is
 * never reported. Compiling no sooner than this after the last event means such a save is
 * already on disk when the files are read (25 ms covers chokidar's 5 ms per-file throttle and
 * timer slack); a save after the window is reported as usual.
 */
export const MIN_QUIET_MS = 50 + 25;

/**
 * Whether a change at `rest` (path segments below a bundle folder) can change that bundle.
 * Editors' swap, backup and lock files (`.x.swp`, `x~`, `4913`, `.#x`) do not count; a folder
 * appearing or vanishing does (a bundle copied in, or a symlinked `..data` swapped).
 */
function touchesBundle(event: string, rest: string[]): boolean {
  if (event === 'addDir' || event === 'unlinkDir') return true;
  const base = rest[rest.length - 1];
  return !base.startsWith('.') && BUNDLE_EXTENSIONS.has(path.extname(base).toLowerCase());
}

export class BundleWatcher {
  private tree?: FSWatcher;
  private readonly outside = new Map<string, FSWatcher>();
  private readonly pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly root: string;
  /** Quiet time before a batch goes: the configured debounce, but never under MIN_QUIET_MS. */
  readonly quietMs: number;

  constructor(private readonly options: WatcherOptions) {
    this.root = options.reloader.root;
    this.quietMs = Math.max(MIN_QUIET_MS, options.debounceMs);
  }

  /** Watches the services folder and the outside folders; resolves once their first scan is done. */
  async start(): Promise<void> {
    this.tree = await this.watch(this.root, TREE_DEPTH);
    await this.syncOutside();
  }

  /** Watches the outside folders of the bundles served now (after a reload changed them). */
  syncOutside(): Promise<void> {
    // Serialized: a SIGHUP reload and a watched one may both ask, and must not add a folder twice.
    this.syncing = this.syncing
      .then(() => this.syncOutsideNow())
      .catch((e: unknown) => {
        this.options.logger.error('cannot watch the folders of imported files', { error: (e as Error)?.message });
      });
    return this.syncing;
  }

  private async syncOutsideNow(): Promise<void> {
    const wanted = new Set(this.options.reloader.outsideDirs());
    for (const [dir, w] of this.outside) {
      if (wanted.has(dir)) continue;
      this.outside.delete(dir);
      await w.close();
    }
    for (const dir of wanted) {
      if (this.outside.has(dir) || this.closed) continue;
      const w = await this.watch(dir, 0);
      if (this.closed) await w.close();
      else this.outside.set(dir, w);
    }
  }

  /** Stops watching, drops what is pending and waits for a reload in progress. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.pending.clear();
    const watchers = [this.tree, ...this.outside.values()].filter((w): w is FSWatcher => !!w);
    this.outside.clear();
    await Promise.all(watchers.map((w) => w.close()));
    await this.running;
    await this.syncing;
  }

  private async watch(target: string, depth: number): Promise<FSWatcher> {
    const w = new FSWatcher({ ignoreInitial: true, depth, persistent: true });
    w.on('all', (event, file) => this.onEvent(event, file));
    w.on('error', (e: unknown) => {
      this.options.logger.error('file watching failed; changes may go unnoticed (SIGHUP reloads every bundle)', { folder: target, error: (e as Error)?.message });
    });
    const ready = new Promise<boolean>((resolve) => w.once('ready', () => resolve(true)));
    w.add(target);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.readyTimeoutMs ?? 10000)));
    if (!(await Promise.race([ready, late]))) this.options.logger.warn('file watching is still scanning; going on', { folder: target });
    clearTimeout(timer);
    return w;
  }

  private onEvent(event: string, file: string): void {
    if (this.closed) return;
    const folders = this.affected(event, path.resolve(file));
    if (folders.length === 0) return;
    for (const f of folders) this.pending.add(f);
    this.options.logger.debug('bundle file changed', { event, file, folders });
    this.schedule();
  }

  /** The bundle folders a change at `file` may affect: those built from it, and the one it lies in. */
  private affected(event: string, file: string): string[] {
    const folders = new Set(this.options.reloader.foldersUsing(file));
    if (isWithin(this.root, file)) {
      const [top, ...rest] = path.relative(this.root, file).split(path.sep);
      // A file directly in the services folder is no bundle; a folder there is one, appearing or gone.
      const counts = rest.length === 0 ? event === 'addDir' || event === 'unlinkDir' : touchesBundle(event, rest);
      if (counts && !top.startsWith('.')) folders.add(path.join(this.root, top));
    }
    return [...folders];
  }

  /**
   * Trailing debounce: the batch goes once events pause for quietMs. There is no upper bound on
   * purpose: a batch cut short while writes go on could read the files inside chokidar's
   * throttle window and miss the last write (see MIN_QUIET_MS); a file rewritten without pause
   * is reloaded when the writing stops.
   */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.quietMs);
  }

  private flush(): void {
    this.timer = undefined;
    // One batch at a time: what arrives meanwhile is scheduled when the running one ends.
    if (this.running || this.closed || this.pending.size === 0) return;
    const folders = [...this.pending];
    this.pending.clear();
    this.running = (async () => {
      try {
        await this.options.reloader.reload(folders);
        await this.syncOutside();
      } catch (e) {
        this.options.logger.error('reload failed unexpectedly; the served bundles are unchanged', { error: (e as Error)?.message, stack: (e as Error)?.stack });
      } finally {
        this.running = undefined;
        if (this.pending.size > 0 && !this.closed) this.schedule();
      }
    })();
  }
}
