import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { before, describe, it } from 'mocha';
import { compileServices, type Bundle } from '../../src/compile';
import { createAjv } from '../../src/compile/ajv';
import { BridgeError, ERRORS, toProblem, type ErrorCode } from '../../src/errors/catalogue';
import type { JsonSchema, RouteDescription } from '../../src/model/route';
import { buildOpenApi, generateOpenApi, withServer, type OpenApiDocument } from '../../src/openapi';
import { tempDir } from '../support/bridge';
import { ROOT } from '../support/compile';
import { checkExamples, redoclyLint, swaggerValidate } from '../support/openapi';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STANDARD_KEYWORDS = new Set([
  '$ref', '$comment', 'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required',
  'format', 'title', 'description', 'default', 'examples', 'properties', 'additionalProperties', 'unevaluatedProperties',
  'items', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
]);

/** Every keyword used in a schema position of the components, outside `x-` extensions. */
function keywordsOf(schema: unknown, out: Set<string>): void {
  if (typeof schema !== 'object' || schema === null) return;
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-')) continue;
    out.add(k);
    if (k === 'properties') for (const p of Object.values(v as object)) keywordsOf(p, out);
    else if (['allOf', 'anyOf', 'oneOf'].includes(k)) for (const m of v as unknown[]) keywordsOf(m, out);
    else if (['items', 'not', 'if', 'then', 'else', 'additionalProperties', 'unevaluatedProperties'].includes(k)) keywordsOf(v, out);
  }
}

function operations(doc: OpenApiDocument): Any[] {
  return Object.values(doc.paths).flatMap((item) => Object.values(item) as Any[]);
}

describe('openapi: the document of the demo services', function () {
  this.timeout(60000);
  let bundles: Bundle[];
  let doc: OpenApiDocument;

  before(() => {
    bundles = compileServices(path.join(ROOT, 'wsdl')).bundles;
    const r = generateOpenApi(bundles);
    assert.deepEqual(r.omitted, [], 'every demo operation has its examples');
    assert.deepEqual(r.warnings, []);
    doc = r.document;
  });

  it('passes swagger-parser validation', async () => {
    await swaggerValidate(doc);
    await swaggerValidate(buildOpenApi(bundles, { serverUrl: 'http://127.0.0.1:8080' }));
  });

  it('passes redocly lint (recommended rules, test/openapi/redocly.yaml) with no error and no warning', async () => {
    const lint = await redoclyLint(doc);
    assert.deepEqual(lint.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`), []);
    assert.equal(lint.errors, 0);
  });

  it('has a path, a unique operationId, a tag and the WSDL documentation per REST operation', () => {
    const ops = operations(doc);
    // 8 default routes, plus the demo mappings' custom routes next to them (2 for calculator, 4 for orders).
    assert.equal(ops.length, 14);
    assert.deepEqual(Object.keys(doc.paths), [
      '/api/calculator/Add', '/api/calculator/Subtract', '/api/calculator/Multiply', '/api/calculator/Divide',
      '/api/calculator/add', '/api/calculator/divide/{dividend}/{divisor}',
      '/api/orders/GetOrder', '/api/orders/GetOrders', '/api/orders/CreateOrder', '/api/orders/CancelOrder',
      '/api/orders/orders/{orderId}', '/api/orders/orders',
    ]);
    assert.deepEqual(Object.keys(doc.paths['/api/orders/orders/{orderId}']), ['get', 'delete']);
    assert.deepEqual(Object.keys(doc.paths['/api/orders/orders']), ['get', 'post']);
    const add2 = doc.paths['/api/calculator/add'].get as Any;
    assert.equal(add2.operationId, 'calculator.Add.get.add');
    assert.deepEqual((add2.parameters as Any[]).map((p) => p.$ref ?? `${String(p.in)}:${String(p.name)}:${String(p.required)}`), ['query:a:true', 'query:b:true', '#/components/parameters/RequestId']);
    assert.equal(add2.requestBody, undefined);
    assert.equal(new Set(ops.map((o) => o.operationId)).size, ops.length);
    const add = doc.paths['/api/calculator/Add'].post as Any;
    assert.equal(add.operationId, 'calculator.Add');
    assert.equal(add.summary, 'Adds two integers.');
    assert.match(add.description, /^Adds two integers\.\n\nCalls the SOAP operation `Add`/);
    assert.deepEqual(add.tags, ['calculator']);
    assert.deepEqual(doc.tags, [
      { name: 'calculator', description: 'Integer arithmetic, the classic first SOAP service.' },
      { name: 'orders', description: 'Operations of the SOAP service described by orders.wsdl.' },
    ]);
    assert.equal(add.requestBody.required, true);
    assert.deepEqual(Object.keys(add.responses), ['200', '400', '404', '413', '415', '500', '502', '503', '504']);
    assert.equal(add.responses['502'].$ref, '#/components/responses/BadGateway');
  });

  it('describes the info, the servers and the absence of authentication', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    assert.deepEqual(doc.servers, [{ url: '/', description: 'the bridge serving this document' }]);
    assert.deepEqual(buildOpenApi(bundles, { serverUrl: 'https://api.example.org' }).servers, [{ url: 'https://api.example.org', description: 'this bridge' }]);
    assert.deepEqual(doc.security, []);
    const moved = withServer(doc, 'http://h:1');
    assert.deepEqual(Object.keys(moved), Object.keys(doc));
    assert.deepEqual({ ...moved, servers: doc.servers }, doc);
  });

  it('copies the bundle definitions into components with references rewritten and XSD keywords as x- extensions', () => {
    const schemas = (doc.components as Any).schemas as Any;
    assert.deepEqual(schemas['calculator.Operands'].properties.intA, { type: 'integer', minimum: -2147483648, maximum: 2147483647, description: 'First operand' });
    assert.equal(schemas['orders.Money'].description, 'An amount with its ISO 4217 currency.');
    assert.deepEqual(schemas['orders.Money'].properties.$value['x-xsd-numeric'], { integer: false, minInclusive: '0', totalDigits: 30, fractionDigits: 12 });
    assert.equal(schemas['orders.Order'].properties.customer.$ref, '#/components/schemas/orders.Customer');
    const text = JSON.stringify(doc);
    assert.doesNotMatch(text, /\$defs|urn:soap-bridge:bundle|xsdNumeric|xsdOctets/);
    const used = new Set<string>();
    for (const s of Object.values(schemas)) keywordsOf(s, used);
    assert.deepEqual([...used].filter((k) => !STANDARD_KEYWORDS.has(k)), []);
    // Only what the routes reach: the SOAP-facade-only inventory bundle contributes nothing.
    assert.ok(!Object.keys(schemas).some((k) => k.startsWith('inventory.')));
  });

  it('gives every operation request and response examples that the bundle schema accepts', () => {
    let checked = 0;
    for (const b of bundles) checked += checkExamples(b, doc).checked;
    // 14 responses, 9 request bodies (8 default routes and POST /orders), 10 parameters of the custom routes.
    assert.equal(checked, 33);
  });

  it('gives examples the document\'s own schemas accept, read by a plain JSON Schema 2020-12 validator', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    // The whole document under one $id: inline schemas of custom routes are reached by their JSON pointer,
    // and their `#/components/...` references resolve against the same document.
    ajv.addSchema({ $id: 'http://doc.test/openapi', components: doc.components, paths: doc.paths });
    const escape = (s: string): string => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'));
    let n = 0;
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item as Any)) {
        const at = `#/paths/${escape(p)}/${method}`;
        const media = [
          [op.requestBody?.content['application/json'], `${at}/requestBody/content/application~1json/schema`],
          [op.responses['200']?.content['application/json'], `${at}/responses/200/content/application~1json/schema`],
        ] as [Any | undefined, string][];
        for (const [m, pointer] of media) {
          if (!m) continue;
          const v = ajv.compile({ $ref: `http://doc.test/openapi${pointer}` });
          assert.ok(v(m.example), `${String(op.operationId)}: ${JSON.stringify(v.errors)}`);
          n++;
        }
      }
    }
    for (const r of Object.values((doc.components as Any).responses as Any)) {
      const media = r.content['application/problem+json'];
      const v = ajv.compile({ $ref: `http://doc.test/openapi${String(media.schema.$ref)}` });
      assert.ok(v(media.example), JSON.stringify(v.errors));
      n++;
    }
    assert.equal(n, 14 + 9 + 8);
  });

  it('describes the problems the bridge writes: every code of the catalogue fits the Problem schema', () => {
    const ajv = createAjv();
    ajv.addSchema({ $id: 'http://doc.test/problem', components: doc.components });
    const v = ajv.compile({ $ref: 'http://doc.test/problem#/components/schemas/Problem' });
    for (const code of Object.keys(ERRORS) as ErrorCode[]) {
      const p = toProblem(new BridgeError(code, 'd', { errors: [{ pointer: '/a', detail: 'x' }], fault: { code: 'Server', subcodes: ['A'], string: 's', actor: 'http://a', detail: { x: [1] } } }), 'id-1', '/api/x/y');
      assert.ok(v(p), `${code}: ${JSON.stringify(v.errors)}`);
    }
    assert.equal(v({ type: 't', title: 't', status: 400 }), false, 'detail is required');
  });

  it('names the definitions of two services apart when both have the same name', () => {
    const tmp = tempDir('openapi-two');
    try {
      const wsdl = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
      for (const name of ['alpha', 'beta']) {
        fs.mkdirSync(path.join(tmp.dir, name));
        fs.writeFileSync(path.join(tmp.dir, name, 'calc.wsdl'), wsdl);
      }
      const d = buildOpenApi(compileServices(tmp.dir).bundles) as Any;
      assert.ok(d.components.schemas['alpha.Operands'] && d.components.schemas['beta.Operands']);
      assert.equal(d.paths['/api/beta/Add'].post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/beta.Operands');
      assert.equal(d.paths['/api/alpha/Add'].post.operationId, 'alpha.Add');
    } finally {
      tmp.remove();
    }
  });
});

describe('openapi: routes other than the default ones (hand-built RouteDescriptions)', function () {
  this.timeout(60000);
  let calculator: Bundle;
  let doc: Any;
  let routes: RouteDescription[];
  let result: ReturnType<typeof generateOpenApi>;
  const id = (): string => String(calculator.schema.$id);

  before(() => {
    calculator = compileServices(path.join(ROOT, 'wsdl')).bundles.find((b) => b.name === 'calculator')!;
    const int: JsonSchema = { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
    routes = [
      {
        method: 'GET',
        path: '/api/calculator/add',
        operation: 'Add',
        isDefault: false,
        parameters: [
          { in: 'query', name: 'a', required: true, schema: int, description: 'First operand' },
          { in: 'query', name: 'b', required: true, schema: int },
        ],
        requestBody: undefined,
        response: { type: 'object', properties: { result: { type: 'integer' } }, required: ['result'], additionalProperties: false },
        faultStatuses: [{ status: 422, type: 'urn:example:division', title: 'Division by zero' }, { status: 502, title: 'Backend trouble' }, { status: 99 }],
        description: 'Adds a and b.',
      },
      {
        method: 'PUT',
        path: '/api/calculator/results/{resultId}',
        operation: 'Divide',
        isDefault: false,
        parameters: [{ in: 'path', name: 'resultId', required: false, schema: { type: 'string', pattern: '^(?:R-\\p{Nd}{4})$' } }, { in: 'header', name: 'X-Request-Id', required: true, schema: { type: 'string' } }],
        requestBody: { $ref: `${id()}#/$defs/Operands` },
        response: { type: 'array', items: { $ref: `${id()}#/$defs/DivideResponse` }, minItems: 1 },
        faultStatuses: [],
      },
      { method: 'DELETE', path: '/api/calculator/results/{resultId}/{part}', operation: 'Subtract', isDefault: false, parameters: [], requestBody: undefined, response: undefined, faultStatuses: [] },
      { method: 'POST', path: '/api/calculator/scalar', operation: 'Multiply', isDefault: false, parameters: [], requestBody: { $ref: '#/$defs/Operands' }, response: { type: 'integer', exclusiveMinimum: 10, xsdNumeric: { integer: true, totalDigits: 2 } }, faultStatuses: [] },
      { method: 'POST', path: '/api/calculator/Add', operation: 'Add', isDefault: true, parameters: [], requestBody: { $ref: `${id()}#/$defs/Operands` }, response: { $ref: `${id()}#/$defs/AddResponse` }, faultStatuses: [] },
    ];
    result = generateOpenApi([{ ...calculator, routes }]);
    doc = result.document;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    await swaggerValidate(doc as OpenApiDocument);
    assert.deepEqual(result.omitted, []);
  });

  it('gives each route its own operationId, with method and path for the non-default ones', () => {
    assert.equal(doc.paths['/api/calculator/add'].get.operationId, 'calculator.Add.get.add');
    assert.equal(doc.paths['/api/calculator/results/{resultId}'].put.operationId, 'calculator.Divide.put.results.resultId');
    assert.equal(doc.paths['/api/calculator/Add'].post.operationId, 'calculator.Add');
    assert.equal(doc.paths['/api/calculator/add'].get.summary, 'Adds a and b.');
  });

  it('describes query parameters with schema and a valid example, and no body when there is none', () => {
    const get = doc.paths['/api/calculator/add'].get;
    assert.deepEqual(get.parameters.slice(0, 2), [
      { name: 'a', in: 'query', required: true, description: 'First operand', schema: { type: 'integer', minimum: -2147483648, maximum: 2147483647 }, example: 1 },
      { name: 'b', in: 'query', required: true, schema: { type: 'integer', minimum: -2147483648, maximum: 2147483647 }, example: 1 },
    ]);
    assert.deepEqual(get.parameters[2], { $ref: '#/components/parameters/RequestId' });
    assert.equal(get.requestBody, undefined);
    assert.deepEqual(get.responses['200'].content['application/json'], {
      schema: { type: 'object', properties: { result: { type: 'integer' } }, required: ['result'], additionalProperties: false },
      example: { result: 1 },
    });
  });

  it('adds the fault statuses of the mapping, merged with a standard one where they meet', () => {
    const r = doc.paths['/api/calculator/add'].get.responses;
    assert.match(r['422'].description, /Division by zero/);
    assert.equal(r['422'].content['application/problem+json'].example.type, 'urn:example:division');
    assert.equal(r['422'].content['application/problem+json'].example.status, 422);
    assert.match(r['502'].description, /^The backend answered with a SOAP Fault.*Or: .*Backend trouble/);
    assert.equal(r['99'], undefined, 'an impossible status is left out');
  });

  it('makes path parameters required, fills in undescribed templates and keeps the route\'s own X-Request-Id', () => {
    const put = doc.paths['/api/calculator/results/{resultId}'].put;
    assert.equal(put.parameters[0].required, true);
    assert.equal(put.parameters[0].example, 'R-0000');
    assert.equal(put.parameters.filter((p: Any) => p.$ref).length, 0);
    assert.equal(put.responses['200'].content['application/json'].schema.items.$ref, '#/components/schemas/calculator.DivideResponse');
    const del = doc.paths['/api/calculator/results/{resultId}/{part}'].delete;
    assert.deepEqual(del.parameters.slice(0, 2).map((p: Any) => [p.name, p.in, p.required]), [['resultId', 'path', true], ['part', 'path', true]]);
    assert.deepEqual(Object.keys(del.responses).slice(0, 1), ['204']);
    assert.equal(del.responses['204'].content, undefined);
  });

  it('resolves relative references against the bundle document and gives scalar responses examples', () => {
    const post = doc.paths['/api/calculator/scalar'].post;
    assert.equal(post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/calculator.Operands');
    assert.deepEqual(post.responses['200'].content['application/json'], { schema: { type: 'integer', exclusiveMinimum: 10, 'x-xsd-numeric': { integer: true, totalDigits: 2 } }, example: 11 });
  });

  it('gives only examples the bundle schema accepts', () => {
    // Bodies of four routes, responses of four, three parameters.
    assert.equal(checkExamples({ ...calculator, routes }, result.document).checked, 11);
  });

  it('leaves out an example that cannot be made, and says why, instead of a wrong one', () => {
    const bad: RouteDescription = { method: 'GET', path: '/api/calculator/never', operation: 'Add', isDefault: false, parameters: [], response: { type: 'string', minLength: 3, maxLength: 1 }, faultStatuses: [] };
    const r = generateOpenApi([{ ...calculator, routes: [bad] }]);
    assert.equal(r.omitted.length, 1);
    assert.equal(r.omitted[0].where, 'response');
    assert.match(r.omitted[0].reason, /no string/);
    assert.equal('example' in (r.document.paths['/api/calculator/never'].get as Any).responses['200'].content['application/json'], false);
  });

  it('warns about a reference outside the bundles and a route described twice, and still gives a valid document', async () => {
    const routes: RouteDescription[] = [
      { method: 'GET', path: '/api/calculator/x', operation: 'Add', isDefault: false, parameters: [], response: { $ref: 'urn:elsewhere#/$defs/X' }, faultStatuses: [] },
      { method: 'GET', path: '/api/calculator/x', operation: 'Subtract', isDefault: false, parameters: [], faultStatuses: [] },
    ];
    const r = generateOpenApi([{ ...calculator, routes }]);
    assert.equal(r.warnings.length, 2, r.warnings.join('\n'));
    await swaggerValidate(r.document);
  });
});
