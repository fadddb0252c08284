/**
 * `soap-bridge init FILE.wsdl`: a new service bundle from a WSDL. The WSDL and every local file
 * it imports are copied with their relative layout, and a commented mapping.yaml lists every
 * operation with its default route, fields and faults, ready to uncomment.
 *
 * Nothing reaches the out folder before the result has been proven: the bundle is first put
 * together in a temporary folder and loaded there with its mapping. If that load finds a
 * problem the WSDL itself did not have, the scaffold is wrong and nothing is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileBundleDir, compileWsdlFile, type Bundle } from '../compile';
import type { Diagnostic } from '../compile/diagnostics';
import { MAPPING_SCHEMA } from '../mapping/schema';
import { checkOutDir, checkTarget, isInside, planLayout, sameFile, ScaffoldError, type Layout } from './layout';
import { mappingText } from './mapping-text';
import { planMapping } from './plan';

export { ScaffoldError } from './layout';

export interface InitOptions {
  wsdl: string;
  /** Default: ./wsdl/<name>. */
  out?: string;
  force?: boolean;
  /** Default: from the WSDL's file name. */
  name?: string;
  /** Where relative paths start (the process's working folder by default). */
  cwd?: string;
}

export type InitResult =
  | { loaded: false; diagnostics: Diagnostic[] }
  | {
      loaded: true;
      /** The WSDL's own warnings (the scaffold adds none). */
      diagnostics: Diagnostic[];
      name: string;
      outDir: string;
      /** The folder the copy mirrors: the deepest one holding the WSDL and all it imports. */
      sourceRoot: string;
      /** Absolute paths written, mapping.yaml last. */
      written: string[];
      /** Files already in place (initialising a bundle in its own folder). */
      unchanged: string[];
      operations: number;
      /** Things the user should know, one line each. */
      notes: string[];
    };

const NAME_PATTERN = new RegExp(MAPPING_SCHEMA.properties.name.pattern);

/** A URL-safe service name from a WSDL file name: `Stock Quote v2.wsdl` -> `Stock-Quote-v2`. */
export function nameFromFile(file: string): string {
  const stem = path.basename(file).replace(/\.[^.]*$/, '');
  const name = stem
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[-.]+$/, '')
    .slice(0, 64);
  return NAME_PATTERN.test(name) ? name : 'service';
}

/** `file:line:col:message` with both folders replaced, to compare the original's diagnostics with the copy's. */
function diagnosticKey(d: Diagnostic, root: string): string {
  const file = d.file ? path.relative(root, d.file) : '';
  return `${d.severity}:${file}:${d.line}:${d.col}:${d.message.split(root).join('<bundle>')}`;
}

/** The `wsdl:` value, when the bundle cannot find its WSDL by itself (not the single .wsdl at its top). */
function wsdlSetting(layout: Layout, outDir: string): string | undefined {
  const isTopWsdl = (rel: string): boolean => !rel.includes('/') && rel.toLowerCase().endsWith('.wsdl');
  const ours = new Set(layout.files.map((f) => f.relative));
  let present: string[] = [];
  try {
    present = fs.readdirSync(outDir).filter((f) => !ours.has(f));
  } catch {
    /* the out folder does not exist yet */
  }
  const tops = [...layout.files.map((f) => f.relative), ...present].filter(isTopWsdl);
  if (isTopWsdl(layout.wsdl) && tops.length === 1) return undefined;
  if (layout.wsdl.includes('${')) throw new ScaffoldError(`the WSDL's path in the bundle, ${layout.wsdl}, holds "\${", which mapping.yaml reads as a variable; rename the file`);
  return layout.wsdl;
}

/** Copies the planned files and the mapping into `dir` (which is checked beforehand). */
function writeBundle(dir: string, layout: Layout, mapping: string): { written: string[]; unchanged: string[] } {
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const f of layout.files) {
    const target = path.join(dir, ...f.relative.split('/'));
    if (sameFile(f.source, target)) {
      unchanged.push(target);
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(f.source, target);
    written.push(target);
  }
  const target = path.join(dir, 'mapping.yaml');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(target, mapping);
  written.push(target);
  return { written, unchanged };
}

/**
 * Loads the bundle as it would be written, from a temporary folder. Returns notes for the user;
 * throws when the copy has a problem the original had not (a bug of the scaffold, never shipped).
 */
function proveScaffold(layout: Layout, mapping: string, original: Diagnostic[]): string[] {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-init-'));
  try {
    writeBundle(stage, layout, mapping);
    const result = compileBundleDir(stage, { env: {} });
    const before = new Set(original.map((d) => diagnosticKey(d, layout.root)));
    const added = result.diagnostics.filter((d) => !before.has(diagnosticKey(d, stage)));
    if (!result.bundle || added.length > 0) {
      const first = added[0] ?? result.diagnostics[0];
      const where = first ? `${path.relative(stage, first.file)}:${first.line}:${first.col} ${first.message}` : 'it does not load';
      throw new ScaffoldError(`internal error: the scaffolded bundle does not load cleanly (${where}); nothing written`);
    }
    // A file imported by absolute path is read from where it is, not from the copy.
    return result.bundle.files
      .filter((f) => !isInside(fs.realpathSync(stage), fs.realpathSync(f)))
      .map((f) => `${f} is imported by absolute path: the bundle still reads it from there, not from its copy`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * With --force and an out folder among the sources, a copy could land on another source file
 * before that one is read. Copying a file onto itself is fine (initialising in place).
 */
function checkNoSourceOverwritten(layout: Layout, targets: string[]): void {
  const real = (p: string): string => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  const sources = new Map(layout.files.map((f) => [real(f.source), f.source]));
  targets.forEach((t, i) => {
    const hit = sources.get(real(t));
    if (hit !== undefined && (i >= layout.files.length || real(layout.files[i].source) !== real(t))) {
      throw new ScaffoldError(`writing ${t} would replace ${hit}, which the bundle copies from; choose another --out`);
    }
  });
}

function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new ScaffoldError(`--name ${JSON.stringify(name)} is not a URL-safe name (letters, digits, . _ -, starting with a letter or digit)`);
  return name;
}

export function scaffold(options: InitOptions): InitResult {
  const cwd = options.cwd ?? process.cwd();
  const wsdlFile = path.resolve(cwd, options.wsdl);
  const name = options.name !== undefined ? checkName(options.name) : nameFromFile(wsdlFile);
  if (options.out === '') throw new ScaffoldError('--out needs a folder');
  const outDir = path.resolve(cwd, options.out ?? path.join('wsdl', name));

  const loaded = compileWsdlFile(wsdlFile);
  if (!loaded.bundle) return { loaded: false, diagnostics: loaded.diagnostics };
  const bundle: Bundle = loaded.bundle;

  checkOutDir(outDir, options.force === true);
  const layout = planLayout(bundle.wsdlFile, bundle.files);
  const targets = [...layout.files.map((f) => path.join(outDir, ...f.relative.split('/'))), path.join(outDir, 'mapping.yaml')];
  for (const t of targets) checkTarget(outDir, t);
  checkNoSourceOverwritten(layout, targets);

  const plan = planMapping(bundle, name, path.basename(wsdlFile), wsdlSetting(layout, outDir), loaded.diagnostics);
  const text = mappingText(plan);
  const notes = proveScaffold(layout, text, loaded.diagnostics);
  const { written, unchanged } = writeBundle(outDir, layout, text);
  return { loaded: true, diagnostics: loaded.diagnostics, name, outDir, sourceRoot: layout.root, written, unchanged, operations: plan.operations.length, notes };
}
