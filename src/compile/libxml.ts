/**
 * libxml2 (the libxml2-wasm package) for strict validation mode. The package is an ES module
 * with top-level await, so it is loaded once, asynchronously, before bundles are compiled
 * (`initLibxml()`); compiling is synchronous and uses what was loaded.
 *
 * libxml2 reads the schema documents of a bundle through one input provider, registered once:
 * it serves only the documents handed to `withDocuments()` for the duration of one synchronous
 * compile, and refuses every other URL (no file system, no network).
 */
import fs from 'node:fs';
import path from 'node:path';

export type Libxml = typeof import('libxml2-wasm', { with: { 'resolution-mode': 'import' } });

/** The URL scheme of documents served to libxml2 (absolute file paths below it). */
export const VIRTUAL_SCHEME = 'soap-bridge-xsd:';

let lib: Libxml | undefined;
let failure: string | undefined;
let loading: Promise<void> | undefined;

/** Documents libxml2 may read during the current compile, by absolute path. */
let served: ReadonlyMap<string, Uint8Array> | undefined;
/** Open handles of the provider: the bytes and how far they have been read. */
const open = new Map<number, { bytes: Uint8Array; at: number }>();
let nextHandle = 1;

/** The absolute path a virtual URL names (percent-escapes undone), or undefined for another URL. */
export function pathOfUrl(url: string): string | undefined {
  if (!url.startsWith(VIRTUAL_SCHEME)) return undefined;
  let rest = url.slice(VIRTUAL_SCHEME.length);
  while (rest.startsWith('//')) rest = rest.slice(1);
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

/** The virtual URL of an absolute path (each segment escaped, so spaces and `#` survive). */
export function urlOfPath(file: string): string {
  return `${VIRTUAL_SCHEME}//${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Loads libxml2-wasm once; never rejects (a failure is kept and reported where strict mode is asked for). */
export function initLibxml(): Promise<void> {
  loading ??= (async () => {
    try {
      const m = (await import('libxml2-wasm')) as Libxml;
      m.xmlRegisterInputProvider({
        // Every URL is ours: a schemaLocation that is not served is refused, never fetched.
        match: () => true,
        open: (url) => {
          const file = pathOfUrl(url);
          const bytes = file === undefined ? undefined : served?.get(file);
          if (!bytes) return undefined;
          const handle = nextHandle++;
          open.set(handle, { bytes, at: 0 });
          return handle;
        },
        read: (handle, buf) => {
          const o = open.get(handle);
          if (!o) return -1;
          const n = Math.min(buf.length, o.bytes.length - o.at);
          buf.set(o.bytes.subarray(o.at, o.at + n));
          o.at += n;
          return n;
        },
        close: (handle) => open.delete(handle),
      });
      lib = m;
    } catch (e) {
      failure = (e as Error)?.message ?? String(e);
    }
  })();
  return loading;
}

/**
 * Whether a bundle folder's mapping.yaml sets `validation` (then libxml2 must be loaded before
 * the folder is compiled). A cheap look at the text, so a bridge without strict bundles never
 * loads the wasm module.
 */
export function mappingWantsLibxml(bundleDir: string): boolean {
  try {
    return /^validation\s*:/m.test(fs.readFileSync(path.join(bundleDir, 'mapping.yaml'), 'utf8'));
  } catch {
    return false;
  }
}

/** Loads libxml2 when one of these bundle folders (or a folder of bundle folders) asks for it. */
export async function initLibxmlFor(dirs: readonly string[]): Promise<void> {
  if (lib || failure) return;
  const wants = dirs.some((d) => {
    if (mappingWantsLibxml(d)) return true;
    try {
      return fs.readdirSync(d, { withFileTypes: true }).some((e) => e.isDirectory() && mappingWantsLibxml(path.join(d, e.name)));
    } catch {
      return false;
    }
  });
  if (wants) await initLibxml();
}

/** libxml2 when `initLibxml()` has loaded it; undefined otherwise. */
export function libxml(): Libxml | undefined {
  return lib;
}

/** Why libxml2 is not available (not loaded yet, or the load failed). */
export function libxmlUnavailable(): string {
  return failure ? `libxml2-wasm could not be loaded: ${failure}` : 'libxml2-wasm is not loaded (initLibxml() was not awaited)';
}

/** Runs `fn` with these documents readable by libxml2 (by absolute path), and only during it. */
export function withDocuments<T>(docs: ReadonlyMap<string, string>, fn: () => T): T {
  const enc = new TextEncoder();
  const bytes = new Map<string, Uint8Array>();
  for (const [file, text] of docs) bytes.set(file, enc.encode(text));
  served = bytes;
  try {
    return fn();
  } finally {
    served = undefined;
    open.clear();
  }
}
