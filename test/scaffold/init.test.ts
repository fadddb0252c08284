/**
 * `soap-bridge init`: the scaffolded bundle loads with zero diagnostics as written and with
 * every example uncommented, lists every operation and input field, keeps imports working when
 * the files sit in sibling folders, writes hostile WSDL text safely, and refuses what it must.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { parseDocument } from 'yaml';
import { compileBundleDir, compileWsdlFile, type Bundle } from '../../src/compile';
import { SchemaView } from '../../src/mapping/schema-view';
import type { JsonSchema } from '../../src/model/route';
import { nameFromFile, scaffold, ScaffoldError, type InitOptions } from '../../src/scaffold';
import { tempDir } from '../support/bridge';
import { runCli } from '../support/child';
import { fixture, ROOT } from '../support/compile';
import { uncomment } from './uncomment';

const DEMOS = ['calculator', 'orders', 'inventory'];

function run(args: string[], cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(args, { cwd, timeoutMs: 60000 });
}

function init(options: InitOptions): Extract<ReturnType<typeof scaffold>, { loaded: true }> {
  const r = scaffold(options);
  assert.ok(r.loaded, `${options.wsdl} loads`);
  return r;
}

/** Loads a bundle folder and insists on zero errors and zero warnings. */
function compileClean(dir: string): Bundle {
  const r = compileBundleDir(dir, { env: {} });
  assert.deepEqual(r.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}: ${d.message}`), [], `${dir} loads without diagnostics`);
  assert.ok(r.bundle);
  return r.bundle;
}

/** Field paths of a message, opened to `depth` levels: what the listing must show. */
function fieldPaths(view: SchemaView, s: JsonSchema, depth: number, prefix: string[] = []): string[][] {
  if (view.kind(s) !== 'object' || prefix.length >= depth) return [];
  return [...view.properties(s)].flatMap(([name, info]) => [[...prefix, name], ...fieldPaths(view, info.schema, depth, [...prefix, name])]);
}

/**
 * fixtures/golden/bare keeps its four files side by side; this spreads them over sibling and
 * nested folders (service/, contract/, types/data/, types/common/) joined by `../` imports.
 */
function spreadBare(src: string): string {
  const bare = (f: string): string => fs.readFileSync(fixture('golden', 'bare', f), 'utf8');
  const put = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.writeFileSync(path.join(src, rel), text);
  };
  put('service/bare.wsdl', bare('bare.wsdl').replace('location="abstract.wsdl"', 'location="../contract/abstract.wsdl"'));
  put('contract/abstract.wsdl', bare('abstract.wsdl').replace('schemaLocation="types.xsd"', 'schemaLocation="../types/data/types.xsd"'));
  put('types/data/types.xsd', bare('types.xsd').replace('schemaLocation="types-common.xsd"', 'schemaLocation="../common/types-common.xsd"'));
  put('types/common/types-common.xsd', bare('types-common.xsd'));
  put('unrelated.txt', 'not imported, not copied');
  return path.join(src, 'service', 'bare.wsdl');
}

describe('soap-bridge init', () => {
  const tmp = tempDir('init');
  after(() => tmp.remove());

  describe('on the demo WSDLs', () => {
    for (const demo of DEMOS) {
      it(`${demo}: copies the WSDL and its imports, lists every operation and input field, and loads clean`, () => {
        const source = path.join(ROOT, 'wsdl', demo, `${demo}.wsdl`);
        const out = path.join(tmp.dir, 'demos', demo);
        const r = init({ wsdl: source, out });
        const original = compileWsdlFile(source).bundle!;

        // Files: the WSDL and every local import, byte for byte, and the mapping.
        for (const f of original.files) assert.deepEqual(fs.readFileSync(path.join(out, path.basename(f))), fs.readFileSync(f), `${f} copied`);
        assert.deepEqual(r.written.map((f) => path.relative(out, f)).sort(), [...original.files.map((f) => path.basename(f)), 'mapping.yaml'].sort());

        // As written the mapping sets only the name: valid, and it changes nothing.
        const text = fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8');
        const doc = parseDocument(text);
        assert.deepEqual(doc.errors, []);
        assert.deepEqual(doc.toJS(), { name: demo });
        const bundle = compileClean(out);
        assert.deepEqual([...bundle.operations.keys()], [...original.operations.keys()]);

        // Every operation has a block, with its default route and every input field (three levels deep).
        const view = new SchemaView(original.schema);
        for (const [name, op] of original.operations) {
          assert.match(text, new RegExp(`^  # ${name}:$`, 'm'), `block of ${name}`);
          assert.ok(text.includes(`default route: POST /api/${demo}/${name}`), `default route of ${name}`);
          for (const p of fieldPaths(view, view.def(op.inputDef), 3)) {
            const dotted = p.join('.');
            assert.ok(text.includes(`#       ${dotted}: body.${dotted} `) || text.includes(`#       ## ${dotted}: `), `${name}: field ${dotted} listed`);
          }
        }
      });
    }

    it('documents fields with their XSD type, required-ness, lists and documentation', async () => {
      const text = fs.readFileSync(path.join(tmp.dir, 'demos', 'calculator', 'mapping.yaml'), 'utf8');
      assert.match(text, /^ {2}# {7}intA: body\.intA +# xs:int, required — First operand$/m);
      assert.match(text, /^ {2}# {5}- detail: DivisionByZero +# a fault the WSDL declares for Divide$/m);
      const orders = fs.readFileSync(path.join(tmp.dir, 'demos', 'orders', 'mapping.yaml'), 'utf8');
      assert.match(orders, /item: body\.item +# list of LineItem, required \(at least 1\) \{sku, description, quantity, unitPrice, tag\}/);
      assert.match(orders, /customer\.phone: body\.customer\.phone +# xs:string, required, nillable/);
      assert.match(orders, /## payment\.card: CardPayment, optional, one branch of a choice/);
      assert.match(orders, /status: body\.status +# OrderStatus: NEW \| PAID \| SHIPPED \| DELIVERED \| CANCELLED, optional — Where an order is in its life\./);
      // A fault several operations declare gets a bundle-wide rule; a not-found one suggests 404.
      assert.match(orders, /^# faults:\n# {3}- detail: OrderNotFound +# declared by GetOrder, CancelOrder\n# {5}status: 404/m);
      const inventory = fs.readFileSync(path.join(tmp.dir, 'demos', 'inventory', 'mapping.yaml'), 'utf8');
      assert.match(inventory, /price\.\$value: body\.price\.\$value +# xs:decimal, the element's text, required/);
      assert.match(inventory, /price\.currency: body\.price\.currency +# xs:string attribute, required/);
    });

    it('the CLI writes the bundle and `validate --services` accepts it', async () => {
      const services = path.join(tmp.dir, 'cli-services');
      for (const demo of DEMOS) {
        const r = await run(['init', path.join('wsdl', demo, `${demo}.wsdl`), '--out', path.join(services, demo)]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.stderr, '');
        assert.match(r.stdout, new RegExp(`^Bundle "${demo}" \\(4 operations\\) in .*${demo}/:\\n`));
        assert.match(r.stdout, /wrote .*mapping\.yaml\n/);
        assert.match(r.stdout, /npx soap-bridge validate --services .*cli-services\n/);
        assert.match(r.stdout, /npx soap-bridge serve --services .*cli-services\n$/);
      }
      const v = await run(['validate', '--strict', '--services', services]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stderr, /valid: 0 errors, 0 warnings\n$/);
    });

    it('defaults to ./wsdl/<name> and takes --name', async () => {
      const cwd = path.join(tmp.dir, 'cwd');
      fs.mkdirSync(cwd);
      const calc = path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl');
      assert.equal((await run(['init', calc], cwd)).code, 0);
      assert.ok(fs.existsSync(path.join(cwd, 'wsdl', 'calculator', 'calculator.wsdl')));
      const named = await run(['init', calc, '--name', 'calc-v2'], cwd);
      assert.equal(named.code, 0, named.stderr);
      const text = fs.readFileSync(path.join(cwd, 'wsdl', 'calc-v2', 'mapping.yaml'), 'utf8');
      assert.match(text, /^name: calc-v2$/m);
      assert.match(text, /default route: POST \/api\/calc-v2\/Add$/m);
      assert.equal((await run(['validate', '--strict', '--services', 'wsdl'], cwd)).code, 0);
    });
  });

  describe('the commented examples', () => {
    it('are valid uncommented: every operation block and every top-level setting at once', async () => {
      for (const demo of DEMOS) {
        const out = path.join(tmp.dir, 'examples', demo);
        init({ wsdl: path.join(ROOT, 'wsdl', demo, `${demo}.wsdl`), out });
        const file = path.join(out, 'mapping.yaml');
        const edited = uncomment(fs.readFileSync(file, 'utf8'), { operations: 'all', top: ['soapBackend', 'timeoutMs', 'soapVersion', 'faults'] });
        fs.writeFileSync(file, edited);
        const mapping = parseDocument(edited).toJS() as { operations: Record<string, unknown>; timeoutMs?: number };
        const names = [...compileWsdlFile(path.join(out, `${demo}.wsdl`)).bundle!.operations.keys()];
        assert.deepEqual(Object.keys(mapping.operations), names);
        assert.equal(mapping.timeoutMs, 5000);
        const bundle = compileClean(out);
        // Each operation now answers on its example route (kebab-case) too.
        const kebab = (n: string): string => n.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
        assert.deepEqual(
          bundle.routes.map((r) => `${r.method} ${r.path} ${r.isDefault}`).sort(),
          names.flatMap((n) => [`POST /api/${demo}/${kebab(n)} false`, `POST /api/${demo}/${n} true`]).sort(),
        );
        // and only there once the default routes are turned off.
        fs.writeFileSync(file, uncomment(edited, { top: ['defaultRoutes'] }));
        assert.deepEqual(compileClean(out).routes.map((r) => `${r.method} ${r.path}`).sort(), names.map((n) => `POST /api/${demo}/${kebab(n)}`).sort());
        // Following every block's GET hint instead gives valid GET routes.
        const written = fs.readFileSync(path.join(tmp.dir, 'demos', demo, 'mapping.yaml'), 'utf8');
        fs.writeFileSync(file, uncomment(written, { operations: 'all', top: ['defaultRoutes'], getHints: true }));
        const hinted = [...written.matchAll(/route: POST (\S+) +# or GET /g)].map((m) => `GET /api/${demo}${m[1]}`);
        assert.ok(hinted.length > 0);
        const routes = compileClean(out).routes.map((r) => `${r.method} ${r.path}`);
        for (const h of hinted) assert.ok(routes.includes(h), `${h} in ${routes.join(', ')}`);
      }
    });

    it('one block alone is valid, and its GET hint works: GET /add?intA=2&intB=3 becomes {intA: 2, intB: 3}', async () => {
      const out = path.join(tmp.dir, 'examples-get');
      init({ wsdl: path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), out });
      const file = path.join(out, 'mapping.yaml');
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /route: POST \/add {3}# or GET \/add, with query\.intA, query\.intB as the sources below/);
      // Follow the hint the way an integrator would: GET instead of POST, query.… instead of body.….
      const add = uncomment(text, { operations: ['Add'] })
        .replace('route: POST /add', 'route: GET /add')
        .replace('intA: body.intA', 'intA: query.intA')
        .replace('intB: body.intB', 'intB: query.intB');
      fs.writeFileSync(file, add);
      const bundle = compileClean(out);
      const match = bundle.router.match('GET', ['add']);
      assert.ok(match && 'found' in match, 'GET /add is routed');
      const input = match.found.request.apply(undefined, { path: {}, query: new URLSearchParams('intA=2&intB=3'), headers: {} });
      assert.deepEqual(input, { intA: 2, intB: 3 });
      assert.deepEqual(match.found.op.validateInput(input), undefined);
      assert.deepEqual(match.found.response.apply({ AddResult: 5 }), { AddResult: 5 });
    });
  });

  describe('imports', () => {
    it('keeps wsdl:import, xsd:import and a chameleon include working from sibling folders', async () => {
      const wsdl = spreadBare(path.join(tmp.dir, 'spread'));
      const original = compileWsdlFile(wsdl);
      assert.ok(original.bundle);
      assert.equal(original.bundle.files.length, 4);

      const out = path.join(tmp.dir, 'spread-out');
      const r = init({ wsdl, out });
      assert.deepEqual(r.written.map((f) => path.relative(out, f)).sort(), ['contract/abstract.wsdl', 'mapping.yaml', 'service/bare.wsdl', 'types/common/types-common.xsd', 'types/data/types.xsd']);
      const text = fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8');
      assert.deepEqual(parseDocument(text).toJS(), { name: 'bare', wsdl: 'service/bare.wsdl' });
      const bundle = compileClean(out);
      assert.deepEqual(bundle.files.map((f) => path.relative(out, f)).sort(), ['contract/abstract.wsdl', 'mapping.yaml', 'service/bare.wsdl', 'types/common/types-common.xsd', 'types/data/types.xsd']);
      assert.deepEqual([...bundle.operations.keys()], [...original.bundle.operations.keys()]);
      // SOAP 1.2 only: the fault example uses the 1.2 code.
      assert.match(text, /- code: Sender /);
      fs.writeFileSync(path.join(out, 'mapping.yaml'), uncomment(text, { operations: 'all' }));
      compileClean(out);
    });

    it('sets `wsdl:` when the bundle has two .wsdl files at its top (fixtures/golden/bare as it is)', async () => {
      const out = path.join(tmp.dir, 'bare');
      init({ wsdl: fixture('golden', 'bare', 'bare.wsdl'), out });
      assert.deepEqual(fs.readdirSync(out).sort(), ['abstract.wsdl', 'bare.wsdl', 'mapping.yaml', 'types-common.xsd', 'types.xsd']);
      assert.deepEqual(parseDocument(fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8')).toJS(), { name: 'bare', wsdl: 'bare.wsdl' });
      compileClean(out);
    });

    it('initialises a bundle in its own folder with --force, keeping the files in place', async () => {
      const dir = path.join(tmp.dir, 'in-place');
      fs.mkdirSync(dir);
      for (const f of fs.readdirSync(path.join(ROOT, 'wsdl', 'orders')).filter((x) => x !== 'mapping.yaml')) fs.copyFileSync(path.join(ROOT, 'wsdl', 'orders', f), path.join(dir, f));
      const r = init({ wsdl: path.join(dir, 'orders.wsdl'), out: dir, force: true });
      assert.deepEqual(r.written, [path.join(dir, 'mapping.yaml')]);
      assert.deepEqual(r.unchanged.map((f) => path.basename(f)).sort(), ['orders-types.xsd', 'orders.wsdl']);
      compileClean(dir);
    });
  });

  describe('WSDL text written safely', () => {
    // Names that YAML reads as something else, names a field path must escape, and
    // documentation that tries to end its comment line.
    const HOSTILE = `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:test:hostile" targetNamespace="urn:test:hostile">
  <wsdl:types>
    <xs:schema targetNamespace="urn:test:hostile" elementFormDefault="qualified">
      <xs:element name="null">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="a.b" type="xs:string"><xs:annotation><xs:documentation>dotted
name: injected
operations: {x: 1}&#x85;after a NEL&#x2028;after a LS &#13;after a CR	tab # hash</xs:documentation></xs:annotation></xs:element>
            <xs:element name="constructor" type="xs:string" minOccurs="0"/>
            <xs:element name="id" type="xs:int"/>
            <xs:element name="true" type="xs:boolean" minOccurs="0"/>
            <xs:element name="nested">
              <xs:complexType><xs:sequence><xs:element name="x.y" type="xs:string" maxOccurs="unbounded"/></xs:sequence>
                <xs:attribute name="id" type="xs:string"/></xs:complexType>
            </xs:element>
          </xs:sequence>
          <xs:attribute name="id" type="xs:string"/>
        </xs:complexType>
      </xs:element>
      <xs:element name="nullResponse"><xs:complexType><xs:sequence><xs:element name="ok" type="xs:boolean"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="Get-Item.v2"><xs:complexType><xs:sequence><xs:element name="key" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="Get-Item.v2Response"><xs:complexType><xs:sequence><xs:element name="value" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="nullIn"><wsdl:part name="parameters" element="tns:null"/></wsdl:message>
  <wsdl:message name="nullOut"><wsdl:part name="parameters" element="tns:nullResponse"/></wsdl:message>
  <wsdl:message name="getIn"><wsdl:part name="parameters" element="tns:Get-Item.v2"/></wsdl:message>
  <wsdl:message name="getOut"><wsdl:part name="parameters" element="tns:Get-Item.v2Response"/></wsdl:message>
  <wsdl:portType name="Port">
    <wsdl:operation name="null"><wsdl:documentation>first line
# second: line&#x2028;third&#x85;fourth</wsdl:documentation><wsdl:input message="tns:nullIn"/><wsdl:output message="tns:nullOut"/></wsdl:operation>
    <wsdl:operation name="Get-Item.v2"><wsdl:input message="tns:getIn"/><wsdl:output message="tns:getOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="Binding" type="tns:Port">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <wsdl:operation name="null"><soap:operation soapAction="urn:null"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
    <wsdl:operation name="Get-Item.v2"><soap:operation soapAction="urn:get"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="S"><wsdl:port name="P" binding="tns:Binding"><soap:address location="http://127.0.0.1:9/x?v=\${NOT_A_VAR}"/></wsdl:port></wsdl:service>
</wsdl:definitions>
`;

    it('keeps every line a comment or a real key, and the examples valid', async () => {
      const src = path.join(tmp.dir, 'hostile');
      fs.mkdirSync(src);
      fs.writeFileSync(path.join(src, 'my service (v2)!.wsdl'), HOSTILE);
      const out = path.join(tmp.dir, 'hostile-out');
      const r = init({ wsdl: path.join(src, 'my service (v2)!.wsdl'), out });
      assert.equal(r.name, 'my-service-v2');
      const text = fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8');
      assert.doesNotMatch(text, /[\u0085\u2028\u2029\r\t]/u);
      const real = text.split('\n').filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
      assert.deepEqual(real, ['name: my-service-v2']);
      assert.deepEqual(parseDocument(text).toJS(), { name: 'my-service-v2' });
      // The documentation is on one comment line, the address that holds ${ is not offered as a value.
      assert.match(text, /^ {2}## first line # second: line third fourth$/m);
      assert.match(text, /^## Default: the WSDL's soap:address:\n## {3}http:\/\/127\.0\.0\.1:9\/x\?v=\$\{NOT_A_VAR\} {3}\(not a plain http\(s\) URL, or it holds \$\{, read here as a variable\)$/m);
      assert.match(text, /^# soapBackend: http:\/\/soap-backend\.example\/service$/m);
      assert.doesNotMatch(text, /^# soapBackend: .*NOT_A_VAR/m);
      // YAML-significant names are quoted; names with dots use the JSON Pointer form.
      assert.match(text, /^ {2}# "null":$/m);
      assert.match(text, /^ {2}# Get-Item\.v2:$/m);
      // (`null` has attributes, so it is not a wrapper: the input is its part, `parameters`.)
      assert.match(text, /^ {2}# {7}\/parameters\/a\.b: body\/parameters\/a\.b +# xs:string, required — dotted name: injected operations: \{x: 1\} after a NEL after a LS after a CR tab # hash$/m);
      assert.match(text, /^ {2}# {7}parameters\.@id: body\.parameters\.@id +# xs:string attribute, optional$/m);
      assert.match(text, /^ {2}# {7}parameters\.true: body\.parameters\.true +# xs:boolean, optional$/m);
      assert.match(text, /^ {2}# {7}## parameters\.constructor: xs:string, optional \(a mapping cannot name this field\)$/m);
      assert.match(text, /^ {2}# {7}\/parameters\/nested\/x\.y: body\/parameters\/nested\/x\.y +# list of xs:string, required \(at least 1\)$/m);
      compileClean(out);
      fs.writeFileSync(path.join(out, 'mapping.yaml'), uncomment(text, { operations: 'all', top: ['soapBackend'] }));
      const bundle = compileClean(out);
      assert.deepEqual(Object.keys((parseDocument(fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8')).toJS() as { operations: object }).operations), ['null', 'Get-Item.v2']);
      assert.ok(bundle.routes.some((x) => x.path === '/api/my-service-v2/get-item-v2'));
    });

    it('derives URL-safe names from file names', async () => {
      assert.equal(nameFromFile('/x/calculator.wsdl'), 'calculator');
      assert.equal(nameFromFile('/x/Stock Quote v2.WSDL'), 'Stock-Quote-v2');
      assert.equal(nameFromFile('/x/__svc.wsdl'), 'svc');
      assert.equal(nameFromFile('/x/Dienst-Größe.wsdl'), 'Dienst-Gr-e');
      assert.equal(nameFromFile('/x/€€€.wsdl'), 'service');
      assert.equal(nameFromFile('/x/a.b.c.xml'), 'a.b.c');
    });
  });

  describe('refusals', () => {
    const CALC = path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl');

    it('refuses a non-empty out folder without --force, and writes into it with --force', async () => {
      const out = path.join(tmp.dir, 'busy');
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
      const r = await run(['init', CALC, '--out', out]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^soap-bridge init: \S*busy is not empty; pass --force to write into it \(files of the same name are replaced\)\n$/);
      assert.deepEqual(fs.readdirSync(out), ['notes.txt']);
      const forced = await run(['init', CALC, '--out', out, '--force']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.deepEqual(fs.readdirSync(out).sort(), ['calculator.wsdl', 'mapping.yaml', 'notes.txt']);
      assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
    });

    it('marks an operation the bridge disables, and the bundle keeps the WSDL\'s warning and adds none', async () => {
      const src = path.join(tmp.dir, 'one-broken');
      fs.mkdirSync(src);
      const text = fs
        .readFileSync(CALC, 'utf8')
        .replace('<xs:element name="Add" type="tns:Operands"/>', '<xs:element name="Add"><xs:complexType><xs:sequence><xs:element name="a" type="xs:int" maxOccurs="-1"/></xs:sequence></xs:complexType></xs:element>');
      assert.notEqual(text, fs.readFileSync(CALC, 'utf8'));
      fs.writeFileSync(path.join(src, 'calc.wsdl'), text);
      const out = path.join(tmp.dir, 'one-broken-out');
      const r = init({ wsdl: path.join(src, 'calc.wsdl'), out });
      assert.deepEqual(r.diagnostics.map((d) => d.severity), ['warning']);
      const mapping = fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8');
      assert.match(mapping, /^ {2}## ── Add ─+ disabled: invalid maxOccurs "-1"/m);
      assert.doesNotMatch(mapping, /^ {2}# Add:$/m);
      fs.writeFileSync(path.join(out, 'mapping.yaml'), uncomment(mapping, { operations: 'all' }));
      const loaded = compileBundleDir(out, { env: {} });
      assert.deepEqual(loaded.diagnostics.map((d) => `${path.relative(out, d.file)}:${d.line}:${d.col} ${d.message}`), r.diagnostics.map((d) => `${path.relative(src, d.file)}:${d.line}:${d.col} ${d.message}`));
      assert.deepEqual([...loaded.bundle!.operations.keys()], ['Subtract', 'Multiply', 'Divide']);
    });

    it('sets `wsdl:` when --force writes next to another .wsdl', async () => {
      const out = path.join(tmp.dir, 'two-wsdls');
      fs.mkdirSync(out);
      fs.copyFileSync(fixture('golden', 'rpc', 'rpc.wsdl'), path.join(out, 'other.wsdl'));
      init({ wsdl: CALC, out, force: true });
      assert.deepEqual(parseDocument(fs.readFileSync(path.join(out, 'mapping.yaml'), 'utf8')).toJS(), { name: 'calculator', wsdl: 'calculator.wsdl' });
      compileClean(out);
    });

    it('fails on a broken WSDL with file:line:col and writes nothing', async () => {
      const broken = path.join(tmp.dir, 'broken.wsdl');
      fs.writeFileSync(broken, fs.readFileSync(CALC, 'utf8').replace('<wsdl:types>', '<wsdl:types><oops>'));
      const out = path.join(tmp.dir, 'broken-out');
      const r = await run(['init', broken, '--out', out]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^\S*broken\.wsdl:\d+:\d+ not well-formed XML: .+\n$/);
      assert.match(r.stderr, /^soap-bridge init: \S*broken\.wsdl does not load \(1 error\); nothing written\n$/);
      assert.equal(fs.existsSync(out), false);
      const missing = await run(['init', path.join(tmp.dir, 'missing.wsdl'), '--out', out]);
      assert.equal(missing.code, 1);
      assert.match(missing.stdout, /missing\.wsdl:1:1 cannot read/);
      assert.equal(fs.existsSync(out), false);
    });

    it('answers bad flags and unwritable places with one line, never a stack trace', async () => {
      const cases: [string[], RegExp][] = [
        [['init', CALC, '--name', 'no spaces'], /^soap-bridge init: --name "no spaces" is not a URL-safe name/],
        [['init', CALC, '--name', '-x'], /^soap-bridge init: --name "-x" is not a URL-safe name/],
        [['init', CALC, '--out', path.join(tmp.dir, 'a-file')], /^soap-bridge init: \S*a-file exists and is not a folder\n$/],
        [['init', CALC, '--out', path.join(tmp.dir, 'a-file', 'below')], /^soap-bridge init: cannot use \S*a-file\/below: ENOTDIR/],
      ];
      fs.writeFileSync(path.join(tmp.dir, 'a-file'), 'x');
      for (const [args, expected] of cases) {
        const r = await run(args);
        assert.equal(r.code, 1, args.join(' '));
        assert.match(r.stderr, expected);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
      assert.notEqual((await run(['init'])).code, 0, 'the WSDL argument is required');
    });

    it('refuses an out folder where a copy would replace another file it copies from', async () => {
      // bare.wsdl imports sub/bare.wsdl (the abstract part): with --out sub, bare.wsdl would land on it.
      const src = path.join(tmp.dir, 'shadow');
      fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
      const bare = (f: string): string => fs.readFileSync(fixture('golden', 'bare', f), 'utf8');
      fs.writeFileSync(path.join(src, 'bare.wsdl'), bare('bare.wsdl').replace('location="abstract.wsdl"', 'location="sub/bare.wsdl"'));
      fs.writeFileSync(path.join(src, 'sub', 'bare.wsdl'), bare('abstract.wsdl').replace('schemaLocation="types.xsd"', 'schemaLocation="../types.xsd"'));
      for (const f of ['types.xsd', 'types-common.xsd']) fs.writeFileSync(path.join(src, f), bare(f));
      const before = fs.readFileSync(path.join(src, 'sub', 'bare.wsdl'), 'utf8');
      assert.throws(
        () => scaffold({ wsdl: path.join(src, 'bare.wsdl'), out: path.join(src, 'sub'), force: true }),
        (e: unknown) => e instanceof ScaffoldError && /sub\/bare\.wsdl would replace .*sub\/bare\.wsdl, which the bundle copies from; choose another --out$/.test(e.message),
      );
      assert.equal(fs.readFileSync(path.join(src, 'sub', 'bare.wsdl'), 'utf8'), before);
      assert.deepEqual(fs.readdirSync(path.join(src, 'sub')), ['bare.wsdl']);
    });

    it('refuses to write through a symbolic link that leads out of the out folder', async () => {
      const out = path.join(tmp.dir, 'linked');
      const elsewhere = path.join(tmp.dir, 'elsewhere');
      fs.mkdirSync(out);
      fs.mkdirSync(elsewhere);
      fs.symlinkSync(elsewhere, path.join(out, 'contract'));
      const src = spreadBare(path.join(tmp.dir, 'spread-for-link'));
      assert.throws(() => scaffold({ wsdl: src, out, force: true }), (e: unknown) => e instanceof ScaffoldError && /contract\/abstract\.wsdl would land outside/.test(e.message));
      assert.deepEqual(fs.readdirSync(elsewhere), []);
      fs.rmSync(path.join(out, 'contract'));
      fs.symlinkSync(path.join(elsewhere, 'target.yaml'), path.join(out, 'mapping.yaml'));
      assert.throws(() => scaffold({ wsdl: CALC, out, force: true }), /mapping\.yaml is a symbolic link; refusing to write through it/);
      assert.deepEqual(fs.readdirSync(elsewhere), []);
    });
  });
});
