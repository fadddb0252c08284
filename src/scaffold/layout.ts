/**
 * Where the scaffold puts each file. The WSDL and what it imports keep their layout relative to
 * the deepest folder that holds them all, so every relative import (`../types/a.xsd` included)
 * still resolves in the copy. Nothing is written here; `checkTarget` refuses an out folder that
 * would let a write escape it (a symlink inside it pointing elsewhere).
 */
import fs from 'node:fs';
import path from 'node:path';

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

export interface PlannedFile {
  /** Absolute path of the file read by the loader. */
  source: string;
  /** Path below the out folder, with `/` separators. */
  relative: string;
}

export interface Layout {
  /** The deepest folder holding every source file. */
  root: string;
  files: PlannedFile[];
  /** The WSDL's path below the out folder. */
  wsdl: string;
}

/** The deepest folder that contains every one of `dirs`. */
export function commonFolder(dirs: string[]): string {
  let common = path.resolve(dirs[0]);
  for (const d of dirs.slice(1).map((x) => path.resolve(x))) {
    while (!isInside(common, d)) {
      const up = path.dirname(common);
      if (up === common) break;
      common = up;
    }
  }
  return common;
}

/** Whether `p` is `dir` or lies below it. */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function toPosix(rel: string): string {
  return rel.split(path.sep).join('/');
}

/** The layout of the copy: every file relative to the common folder, the entry WSDL first. */
export function planLayout(wsdlFile: string, files: string[]): Layout {
  const all = [path.resolve(wsdlFile), ...files.map((f) => path.resolve(f)).filter((f) => f !== path.resolve(wsdlFile))];
  const root = commonFolder(all.map((f) => path.dirname(f)));
  const planned = all.map((source) => ({ source, relative: toPosix(path.relative(root, source)) }));
  for (const p of planned) {
    // Cannot happen with a common folder, but a path that climbs out must never be written.
    if (p.relative === '' || p.relative.startsWith('../') || path.isAbsolute(p.relative)) throw new ScaffoldError(`cannot place ${p.source} inside the bundle`);
    if (p.relative.toLowerCase() === 'mapping.yaml') throw new ScaffoldError(`${p.source} would be copied onto the bundle's mapping.yaml; rename it`);
  }
  return { root, files: planned, wsdl: planned[0].relative };
}

/** The out folder is usable: absent, empty, or (with force) any folder. */
export function checkOutDir(out: string, force: boolean): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ScaffoldError(`cannot use ${out}: ${(e as Error).message}`);
  }
  if (!stat.isDirectory()) throw new ScaffoldError(`${out} exists and is not a folder`);
  if (!force && fs.readdirSync(out).length > 0) throw new ScaffoldError(`${out} is not empty; pass --force to write into it (files of the same name are replaced)`);
}

/**
 * A file may be written at `target`: it stays inside the out folder once symlinks are followed,
 * and is not itself a symlink (writing through one would land wherever it points).
 */
export function checkTarget(out: string, target: string): void {
  const outReal = fs.existsSync(out) ? fs.realpathSync(out) : path.resolve(out);
  if (!isInside(path.resolve(out), target)) throw new ScaffoldError(`${target} would land outside ${out}`);
  let existing = path.dirname(target);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  if (isInside(path.resolve(out), existing) && !isInside(outReal, fs.realpathSync(existing))) {
    throw new ScaffoldError(`${target} would land outside ${out} (${existing} leads to ${fs.realpathSync(existing)})`);
  }
  let link = false;
  try {
    link = fs.lstatSync(target).isSymbolicLink();
  } catch {
    /* absent: fine */
  }
  if (link) throw new ScaffoldError(`${target} is a symbolic link; refusing to write through it`);
}

/** Whether two paths name the same existing file (initialising a bundle in place). */
export function sameFile(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}
