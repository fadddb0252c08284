/**
 * The Reloader without HTTP or file watching: what a reload compiles, checks, swaps and refuses,
 * and that a bundle a request already holds is never changed by a swap.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'mocha';
import { Metrics } from '../../src/http/metrics';
import { ServiceRegistry } from '../../src/http/registry';
import { createLogger } from '../../src/log';
import { Reloader } from '../../src/reload/reloader';
import { captureLog, tempDir, writeBundle, type LogCapture } from '../support/bridge';
import { ROOT } from '../support/compile';
import { compileServices } from '../../src/compile';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');

function mapping(backend: string, extra = ''): string {
  return `soapBackend: http://127.0.0.1:9/${backend}\n${extra}`;
}

/** The SOAP endpoint the served bundle of `service` calls for Add. */
function endpointOf(registry: ServiceRegistry, service: string): string | undefined {
  return registry.get(service)?.operations.get('Add')?.endpoint;
}

describe('Reloader', () => {
  let tmp: ReturnType<typeof tempDir>;
  let log: LogCapture;
  let registry: ServiceRegistry;
  let metrics: Metrics | undefined;
  let reloader: Reloader;
  const cleanups: (() => void)[] = [];

  const messages = (): string[] => log.lines.map((l) => String(l.message));
  const folder = (name: string): string => path.join(tmp.dir, name);

  /** Writes the bundles, loads them as start-up does, and hands them to a fresh Reloader. */
  function start(bundles: Record<string, Record<string, string>>, env: NodeJS.ProcessEnv = {}): void {
    for (const [name, files] of Object.entries(bundles)) writeBundle(tmp.dir, name, files);
    const loaded = compileServices(tmp.dir, { env: {} });
    assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error'), []);
    reloader = new Reloader({ servicesDir: tmp.dir, registry, logger: createLogger({ level: 'debug', stream: log.stream }), env, metrics });
    reloader.adopt(loaded.bundles);
  }

  beforeEach(() => {
    tmp = tempDir('reloader');
    log = captureLog();
    registry = new ServiceRegistry();
    metrics = undefined;
  });

  afterEach(async () => {
    await reloader?.close();
    tmp.remove();
  });

  after(() => cleanups.forEach((c) => c()));

  it('adopts the start-up bundles as generation 1, each with a hash of its files', () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    assert.equal(registry.generation, 1);
    const [served] = registry.served();
    assert.equal(served.generation, 1);
    assert.match(served.hash, /^[0-9a-f]{12}$/);
  });

  it('swaps in a changed bundle as a new generation, leaving the old bundle object as it was', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    const held = registry.get('calc')!;
    const before = registry.served()[0];
    fs.writeFileSync(path.join(folder('calc'), 'mapping.yaml'), mapping('b'));
    const report = await reloader.reload([folder('calc')]);
    assert.deepEqual(report, { generation: 2, loaded: [], reloaded: ['calc'], unloaded: [], refused: [] });
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/b');
    assert.equal(held.operations.get('Add')!.endpoint, 'http://127.0.0.1:9/a', 'a request holding the old bundle keeps the old version whole');
    assert.notEqual(registry.get('calc'), held);
    const after = registry.served()[0];
    assert.equal(after.generation, 2);
    assert.notEqual(after.hash, before.hash);
    const line = log.lines.find((l) => l.message === 'service reloaded');
    assert.deepEqual({ service: line?.service, generation: line?.generation, hash: line?.hash, previousGeneration: line?.previousGeneration }, { service: 'calc', generation: 2, hash: after.hash, previousGeneration: 1 });
  });

  it('refuses an edit that does not compile, logs file:line:col and keeps the old version', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    const held = registry.get('calc');
    const file = path.join(folder('calc'), 'mapping.yaml');
    fs.writeFileSync(file, mapping('b', 'timeoutMS: 5\n'));
    const report = await reloader.reload([folder('calc')]);
    assert.equal(report.generation, 1, 'nothing was swapped');
    assert.equal(report.refused.length, 1);
    assert.equal(registry.get('calc'), held);
    assert.equal(registry.generation, 1);
    const errors = log.lines.filter((l) => l.level === 'error').map((l) => String(l.message));
    assert.deepEqual(errors, [`${file}:2:1 unknown key \`timeoutMS\` (did you mean \`timeoutMs\`?)`, 'reload refused; the previous version keeps serving']);
    const refusal = log.lines.find((l) => l.message === 'reload refused; the previous version keeps serving')!;
    assert.deepEqual({ service: refusal.service, generation: refusal.generation, errors: refusal.errors }, { service: 'calc', generation: 1, errors: 1 });
  });

  it('turns an exception inside the compiler into a refusal instead of throwing', async () => {
    // An environment that throws when ${BOOM} is looked up: the compiler does not expect that.
    const env = new Proxy({} as NodeJS.ProcessEnv, {
      get: (_t, key) => {
        if (key === 'BOOM') throw new Error('env exploded');
        return undefined;
      },
    });
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } }, env);
    fs.writeFileSync(path.join(folder('calc'), 'mapping.yaml'), 'soapBackend: http://${BOOM}/x\n');
    const report = await reloader.reload([folder('calc')]);
    assert.deepEqual(report.refused.map((r) => r.diagnostics.map((d) => d.message)), [['internal error while compiling: env exploded']]);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/a');
    assert.deepEqual(messages().slice(-3), ['unexpected error while compiling a bundle', `${folder('calc')}:1:1 internal error while compiling: env exploded`, 'reload refused; the previous version keeps serving']);
  });

  it('loads a new folder, unloads a removed one, and ignores a new folder that is still empty', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    fs.mkdirSync(folder('empty'));
    writeBundle(tmp.dir, 'calc2', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('c') });
    const added = await reloader.reload([folder('empty'), folder('calc2')]);
    assert.deepEqual(added, { generation: 2, loaded: ['calc2'], reloaded: [], unloaded: [], refused: [] });
    assert.deepEqual(registry.list().map((b) => b.name).sort(), ['calc', 'calc2']);
    assert.equal(registry.served().find((s) => s.bundle.name === 'calc')!.generation, 1, 'an untouched bundle keeps its generation');
    fs.rmSync(folder('calc2'), { recursive: true });
    const removed = await reloader.reload([folder('calc2')]);
    assert.deepEqual(removed, { generation: 3, loaded: [], reloaded: [], unloaded: ['calc2'], refused: [] });
    assert.deepEqual(registry.list().map((b) => b.name), ['calc']);
    assert.ok(!messages().some((m) => m.includes('empty')), 'no line about the empty folder');
  });

  it('refuses a bundle whose name another folder serves, and keeps the old version of one renamed onto it', async () => {
    start({
      calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') },
      other: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('o') },
    });
    writeBundle(tmp.dir, 'zzz', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('z', 'name: calc\n') });
    fs.writeFileSync(path.join(folder('other'), 'mapping.yaml'), mapping('o2', 'name: calc\n'));
    const report = await reloader.reload([folder('zzz'), folder('other')]);
    assert.deepEqual(report.refused.map((r) => [path.basename(r.folder), r.diagnostics.map((d) => d.message)]), [
      ['other', ['service name "calc" is already used by calc']],
      ['zzz', ['service name "calc" is already used by calc']],
    ]);
    assert.equal(report.generation, 1);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/a');
    assert.equal(endpointOf(registry, 'other'), 'http://127.0.0.1:9/o');
    assert.ok(messages().includes('bundle not loaded; fix the errors above'));
    assert.ok(messages().some((m) => m.endsWith(`${path.join(folder('zzz'), 'mapping.yaml')}:1:1 service name "calc" is already used by calc`)));
  });

  it('between two new folders claiming one name, the first folder wins, as at start-up', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    writeBundle(tmp.dir, 'b-second', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('second', 'name: twin\n') });
    writeBundle(tmp.dir, 'a-first', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('first', 'name: twin\n') });
    const report = await reloader.reload([folder('b-second'), folder('a-first')]);
    assert.deepEqual(report.loaded, ['twin']);
    assert.deepEqual(report.refused.map((r) => path.basename(r.folder)), ['b-second']);
    assert.equal(endpointOf(registry, 'twin'), 'http://127.0.0.1:9/first');
  });

  it('lets a service move to a name freed in the same reload', async () => {
    start({
      a: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a', 'name: alpha\n') },
      b: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('b', 'name: beta\n') },
    });
    fs.writeFileSync(path.join(folder('a'), 'mapping.yaml'), mapping('a', 'name: gamma\n'));
    fs.writeFileSync(path.join(folder('b'), 'mapping.yaml'), mapping('b', 'name: alpha\n'));
    const report = await reloader.reload([folder('a'), folder('b')]);
    assert.deepEqual(report.refused, []);
    assert.deepEqual(registry.list().map((b) => b.name).sort(), ['alpha', 'gamma']);
    assert.equal(endpointOf(registry, 'alpha'), 'http://127.0.0.1:9/b');
    assert.equal(log.lines.find((l) => l.message === 'service reloaded' && l.service === 'gamma')?.previousName, 'alpha');
  });

  it('changes nothing when the services folder itself cannot be read', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    const moved = `${tmp.dir}-moved`;
    fs.renameSync(tmp.dir, moved);
    cleanups.push(() => fs.rmSync(moved, { recursive: true, force: true }));
    try {
      const report = await reloader.reloadAll();
      assert.deepEqual(report, { generation: 1, loaded: [], reloaded: [], unloaded: [], refused: [] });
      assert.deepEqual(registry.list().map((b) => b.name), ['calc']);
      assert.ok(messages().includes('reload refused: cannot read the services folder; every bundle keeps serving'));
    } finally {
      fs.renameSync(moved, tmp.dir);
    }
  });

  it('runs reloads one after the other, each on the result of the one before', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    const file = path.join(folder('calc'), 'mapping.yaml');
    fs.writeFileSync(file, mapping('b'));
    const first = reloader.reload([folder('calc')]);
    const second = reloader.reloadAll();
    assert.deepEqual([(await first).generation, (await second).generation], [2, 3]);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/b');
  });

  it('refuses a version whose imported XSD stopped being well-formed (a half-saved file), and takes the fix', async () => {
    const types = CALC_WSDL.match(/<xs:schema[\s\S]*?<\/xs:schema>/)![0].replace('<xs:schema', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:soap-bridge:demo:calculator"');
    const xsdText = `<?xml version="1.0"?>\n${types}\n`;
    const wsdl = CALC_WSDL.replace(/<xs:schema[\s\S]*?<\/xs:schema>/, '<xs:schema><xs:import namespace="urn:soap-bridge:demo:calculator" schemaLocation="ops.xsd"/></xs:schema>');
    start({ calc: { 'calculator.wsdl': wsdl, 'ops.xsd': xsdText, 'mapping.yaml': mapping('a') } });
    const held = registry.get('calc')!;
    assert.deepEqual(held.unusable, []);
    const xsd = path.join(folder('calc'), 'ops.xsd');
    // Half saved: cut in the middle of a tag.
    fs.writeFileSync(xsd, xsdText.slice(0, Math.floor(xsdText.length / 2)));
    fs.writeFileSync(path.join(folder('calc'), 'mapping.yaml'), mapping('b'));
    const refused = await reloader.reload([folder('calc')]);
    assert.equal(refused.generation, 1, 'nothing was swapped');
    assert.deepEqual(refused.refused.map((r) => path.basename(r.folder)), ['calc']);
    const errors = refused.refused[0].diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length > 0 && errors.every((d) => d.file === xsd), JSON.stringify(errors));
    assert.match(errors[0].message, /definitions from it are unavailable \(a reload is refused while a file the bundle uses is not usable; the served version keeps serving\)$/);
    assert.equal(registry.get('calc'), held);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/a');
    assert.equal(held.operations.get('Add')!.validateInput({ intA: 'x', intB: 1 })?.[0].pointer, '/intA', 'still typed by the old schema');
    // Saved whole: taken.
    fs.writeFileSync(xsd, xsdText);
    const fixed = await reloader.reload([folder('calc')]);
    assert.deepEqual(fixed.reloaded, ['calc']);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/b');
  });

  it('serves a bundle whose imported XSD was already unusable at start-up, and reloads its other edits', async () => {
    const wsdl = CALC_WSDL.replace(/<xs:schema[\s\S]*?<\/xs:schema>/, (m) => `${m}<xs:schema targetNamespace="urn:extra"><xs:import namespace="urn:extra:more" schemaLocation="broken.xsd"/></xs:schema>`);
    start({ calc: { 'calculator.wsdl': wsdl, 'broken.xsd': '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"', 'mapping.yaml': mapping('a') } });
    assert.deepEqual(registry.get('calc')!.unusable, [path.join(folder('calc'), 'broken.xsd')]);
    fs.writeFileSync(path.join(folder('calc'), 'mapping.yaml'), mapping('b'));
    const report = await reloader.reload([folder('calc')]);
    assert.deepEqual(report.reloaded, ['calc']);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/b');
  });

  it('knows which folders use a file, including imports from outside the services folder', async () => {
    const shared = tempDir('reloader-shared');
    cleanups.push(() => shared.remove());
    const xsd = path.join(shared.dir, 'ops.xsd');
    const types = CALC_WSDL.match(/<xs:schema[\s\S]*?<\/xs:schema>/)![0].replace('<xs:schema', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:soap-bridge:demo:calculator"');
    fs.writeFileSync(xsd, `<?xml version="1.0"?>\n${types}\n`);
    const rel = path.relative(folder('calc'), xsd);
    const wsdl = CALC_WSDL.replace(/<xs:schema[\s\S]*?<\/xs:schema>/, `<xs:schema><xs:import namespace="urn:soap-bridge:demo:calculator" schemaLocation="${rel}"/></xs:schema>`);
    start({ calc: { 'calculator.wsdl': wsdl, 'mapping.yaml': mapping('a') } });
    assert.deepEqual(reloader.foldersUsing(xsd), [folder('calc')]);
    assert.deepEqual(reloader.foldersUsing(path.join(folder('calc'), 'mapping.yaml')), [folder('calc')]);
    assert.deepEqual(reloader.outsideDirs(), [shared.dir]);
    fs.rmSync(folder('calc'), { recursive: true });
    await reloader.reload([folder('calc')]);
    assert.deepEqual(reloader.foldersUsing(xsd), []);
    assert.deepEqual(reloader.outsideDirs(), []);
  });

  it('counts reloads by result in soap_bridge_reloads_total', async () => {
    metrics = new Metrics();
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    const file = path.join(folder('calc'), 'mapping.yaml');
    fs.writeFileSync(file, mapping('b'));
    await reloader.reload([folder('calc')]);
    fs.writeFileSync(file, 'soapBackend: [');
    await reloader.reload([folder('calc')]);
    await reloader.reload([folder('calc')]);
    const { body } = await metrics.text();
    assert.match(body, /^soap_bridge_reloads_total\{result="success"\} 1$/m);
    assert.match(body, /^soap_bridge_reloads_total\{result="failure"\} 2$/m);
  });

  it('does nothing once closed', async () => {
    start({ calc: { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping('a') } });
    await reloader.close();
    fs.writeFileSync(path.join(folder('calc'), 'mapping.yaml'), mapping('b'));
    assert.equal((await reloader.reload([folder('calc')])).generation, 1);
    assert.equal(endpointOf(registry, 'calc'), 'http://127.0.0.1:9/a');
  });
});
