/**
 * The bundles being served. The whole set lives in one immutable snapshot that is replaced in a
 * single assignment, so a request that has fetched its bundle keeps using it to the end (the
 * handlers read the registry once, at the start), and a request never sees half of a reload.
 */
import type { Bundle } from '../compile';

/** A bundle as served: the reload generation that brought it in and a hash of its files. */
export interface ServedBundle {
  readonly bundle: Bundle;
  readonly generation: number;
  /** Short sha256 of the bundle's files (paths and contents); empty when not computed. */
  readonly hash: string;
}

interface Snapshot {
  readonly generation: number;
  readonly byName: ReadonlyMap<string, ServedBundle>;
}

export class ServiceRegistry {
  private snapshot: Snapshot = { generation: 0, byName: new Map() };

  /** The generation of the set being served: 0 before the first load, then one more per swap. */
  get generation(): number {
    return this.snapshot.generation;
  }

  /**
   * Serves exactly these bundles from now on, as `generation` (names must be unique). Bundles
   * of the previous set that are not in the new one are retired: their strict-mode schema
   * (wasm memory) is freed as soon as the requests that hold it are done.
   */
  swap(served: readonly ServedBundle[], generation: number): void {
    const previous = this.snapshot.byName;
    this.snapshot = { generation, byName: new Map(served.map((s) => [s.bundle.name, s])) };
    const kept = new Set(served.map((s) => s.bundle));
    for (const old of previous.values()) if (!kept.has(old.bundle)) old.bundle.strict?.retire();
  }

  /** Serves exactly these bundles from now on, as the next generation (without file hashes). */
  replace(bundles: readonly Bundle[]): void {
    const generation = this.snapshot.generation + 1;
    this.swap(bundles.map((bundle) => ({ bundle, generation, hash: '' })), generation);
  }

  get(name: string): Bundle | undefined {
    return this.snapshot.byName.get(name)?.bundle;
  }

  list(): Bundle[] {
    return [...this.snapshot.byName.values()].map((s) => s.bundle);
  }

  /** Every served bundle with its generation and hash. */
  served(): ServedBundle[] {
    return [...this.snapshot.byName.values()];
  }
}
