/**
 * The console's browser modules that need no browser, run in Node: the JSON Pointer locator
 * (src/console/public/assets/locate.js, which pins a validation error to its field's line) and the
 * panes' formatter (format.js); and the type check of every browser module (// @ts-check with
 * JSDoc types, src/console/public/tsconfig.json).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'mocha';
import { ROOT } from '../support/compile';

type Scan = { positions: Map<string, { line: number; column: number }>; error?: { message: string; line: number; column: number } };
interface Locate {
  scanJson(text: string): Scan;
  locatePointer(text: string, pointer: string): { line: number; column: number; exact: boolean } | undefined;
  pointerTokens(pointer: string): string[];
}
interface Format {
  prettyJson(text: string): string;
  prettyXml(text: string): string;
  prettyBody(body: string, contentType?: string): string;
}

const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(ROOT, 'src', 'console', 'public', 'assets', file)).href)) as T;

describe('console: the JSON Pointer locator', () => {
  let L: Locate;
  before(async () => {
    L = await load<Locate>('locate.js');
  });

  const doc = ['{', '  "intA": 1,', '  "intB": "two",', '  "order": {', '    "items": [', '      { "sku": "A" },', '      {', '        "sku": "B",', '        "a/b": 1, "t~x": 2', '      }', '    ]', '  }', '}'].join('\n');

  it('finds each member at its key, nested and in arrays', () => {
    assert.deepEqual(L.locatePointer(doc, '/intA'), { line: 2, column: 3, exact: true });
    assert.deepEqual(L.locatePointer(doc, '/intB'), { line: 3, column: 3, exact: true });
    assert.equal(L.locatePointer(doc, '/order/items/0/sku')?.line, 6);
    assert.equal(L.locatePointer(doc, '/order/items/1')?.line, 7);
    assert.equal(L.locatePointer(doc, '/order/items/1/sku')?.line, 8);
    assert.equal(L.locatePointer(doc, '')?.line, 1);
  });

  it('reads escaped pointer tokens (~1 for "/", ~0 for "~")', () => {
    assert.deepEqual(L.pointerTokens('/a~1b/t~0x'), ['a/b', 't~x']);
    assert.deepEqual(L.locatePointer(doc, '/order/items/1/a~1b'), { line: 9, column: 9, exact: true });
    assert.deepEqual(L.locatePointer(doc, '/order/items/1/t~0x'), { line: 9, column: 19, exact: true });
  });

  it('pins a missing member to its nearest ancestor, not exact', () => {
    assert.deepEqual(L.locatePointer(doc, '/order/items/0/quantity'), { line: 6, column: 7, exact: false });
    assert.deepEqual(L.locatePointer('{"a": 1}', '/b'), { line: 1, column: 1, exact: false });
    assert.deepEqual(L.locatePointer(doc, '/nope/deeper'), { line: 1, column: 1, exact: false });
  });

  it('handles string escapes in keys and values', () => {
    const text = '{\n"x\\"y": "a\\u0041\\n",\n"z": [true, false, null, -1.5e3]\n}';
    const scan = L.scanJson(text);
    assert.equal(scan.error, undefined);
    assert.equal(scan.positions.get('/x"y')?.line, 2);
    assert.equal(scan.positions.get('/z/3')?.line, 3);
  });

  it('reports the first syntax error with its line and column, and keeps what it found before it', () => {
    const text = '{\n  "intA": 1,\n  "intB": 2,\n}';
    const scan = L.scanJson(text);
    assert.equal(scan.error?.line, 4);
    assert.equal(scan.error?.column, 1);
    assert.match(scan.error!.message, /member name/);
    assert.equal(scan.positions.get('/intB')?.line, 3);
    for (const bad of ['', '{', '{"a" 1}', '[1 2]', '"open', 'tru', '01', '{"a":1} x', '"\\x"', '{"a":\u0001}']) {
      assert.ok(L.scanJson(bad).error, `not JSON: ${JSON.stringify(bad)}`);
    }
    for (const good of ['0', '"s"', '[]', '{}', ' [ {"a": [ ] } ] ', '-0.5E-2']) {
      assert.equal(L.scanJson(good).error, undefined, good);
      assert.doesNotThrow(() => JSON.parse(good));
    }
  });

  it('refuses a deeply nested text with a syntax error rather than overflowing the stack', () => {
    const scan = L.scanJson('['.repeat(100000));
    assert.match(scan.error!.message, /nested too deeply/);
  });
});

describe('console: the panes formatter', () => {
  let F: Format;
  before(async () => {
    F = await load<Format>('format.js');
  });

  it('indents JSON and leaves what is not JSON alone', () => {
    assert.equal(F.prettyJson('{"a":[1,{"b":null}]}'), '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ]\n}');
    assert.equal(F.prettyJson('{"a":'), '{"a":');
  });

  it('lays XML out one element a line, text elements on one line', () => {
    const xml =
      '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><tns:Add xmlns:tns="urn:x" a="1>2"><tns:intA>2</tns:intA><tns:intB>3</tns:intB><tns:e/><tns:f></tns:f><!-- c --><tns:d><![CDATA[<x>]]></tns:d></tns:Add></soap:Body></soap:Envelope>';
    assert.equal(
      F.prettyXml(xml),
      [
        '<?xml version="1.0"?>',
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">',
        '  <soap:Body>',
        '    <tns:Add xmlns:tns="urn:x" a="1>2">',
        '      <tns:intA>2</tns:intA>',
        '      <tns:intB>3</tns:intB>',
        '      <tns:e/>',
        '      <tns:f></tns:f>',
        '      <!-- c -->',
        '      <tns:d>',
        '        <![CDATA[<x>]]>',
        '      </tns:d>',
        '    </tns:Add>',
        '  </soap:Body>',
        '</soap:Envelope>',
      ].join('\n'),
    );
    // Already indented XML comes out the same; a cut body does not throw.
    assert.equal(F.prettyXml(F.prettyXml(xml)), F.prettyXml(xml));
    assert.doesNotThrow(() => F.prettyXml(xml.slice(0, 150)));
    assert.equal(F.prettyXml('plain text'), 'plain text');
  });

  it('picks the formatter by content type, or by the first character', () => {
    assert.equal(F.prettyBody('{"a":1}', 'application/problem+json'), '{\n  "a": 1\n}');
    assert.equal(F.prettyBody('<a><b>1</b></a>', 'text/xml; charset=utf-8'), '<a>\n  <b>1</b>\n</a>');
    assert.equal(F.prettyBody(' [1]'), '[\n  1\n]');
    assert.equal(F.prettyBody('<a/>'), '<a/>');
    assert.equal(F.prettyBody('hello', 'text/plain'), 'hello');
  });
});

describe('console: the browser modules', () => {
  it('type-check (strict, DOM library) with their JSDoc types', async function () {
    this.timeout(60000);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsc, '-p', path.join(ROOT, 'src', 'console', 'public', 'tsconfig.json')], { timeout: 50000 }, (err, stdout, stderr) => resolve(err ? `${err.message}\n${stdout}${stderr}` : ''));
    });
    assert.equal(out, '');
  });
});
