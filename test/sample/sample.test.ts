import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'mocha';
import { compileServices, compileWsdlFile, type Bundle } from '../../src/compile';
import { createAjv } from '../../src/compile/ajv';
import { Sampler, type JsonSchema } from '../../src/sample';
import { fixture, ROOT } from '../support/compile';

const ID = 'urn:test:sample';

/** Samples `schema` (in a document with `defs`) and asserts the value is valid for createAjv(). */
function valid(schema: JsonSchema, defs: Record<string, JsonSchema> = {}): unknown {
  const doc = { $id: ID, $defs: defs };
  const r = new Sampler([doc]).sample(schema, doc);
  assert.ok(r.ok, `no sample: ${r.ok ? '' : r.reason}`);
  const ajv = createAjv();
  ajv.addSchema(doc);
  // Relative references point into the document, as they do for the sampler.
  const v = ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#/g, `"$ref":"${ID}#`)) as JsonSchema);
  assert.ok(v(r.value), `${JSON.stringify(r.value)} is not valid: ${JSON.stringify(v.errors)}`);
  return r.value;
}

function refused(schema: JsonSchema, defs: Record<string, JsonSchema> = {}): string {
  const doc = { $id: ID, $defs: defs };
  const r = new Sampler([doc]).sample(schema, doc);
  assert.equal(r.ok, false, `expected no sample, got ${r.ok ? JSON.stringify(r.value) : ''}`);
  return r.ok ? '' : r.reason;
}

describe('sample: deterministic valid values of the bundles\' JSON Schemas', () => {
  it('takes const and the first enumeration value', () => {
    assert.equal(valid({ const: 'x' }), 'x');
    assert.equal(valid({ type: 'string', enum: ['B', 'A'] }), 'B');
    assert.equal(valid({ type: ['string', 'null'], enum: [null, 'Z'] }), 'Z');
  });

  it('keeps numbers inside inclusive and exclusive ranges', () => {
    assert.equal(valid({ type: 'integer', minimum: 5, maximum: 7 }), 5);
    assert.equal(valid({ type: 'integer', exclusiveMaximum: 0 }), -1);
    assert.equal(valid({ type: 'integer', exclusiveMinimum: 1, exclusiveMaximum: 3 }), 2);
    const x = valid({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }) as number;
    assert.ok(x > 0 && x < 1);
    assert.equal((valid({ type: 'integer', minimum: 10, multipleOf: 4 }) as number) % 4, 0);
  });

  it('honours xsdNumeric digits, and falls back to numeric strings beyond doubles', () => {
    valid({ type: ['number', 'string'], minimum: 100.5, xsdNumeric: { integer: false, minInclusive: '100.5', totalDigits: 3, fractionDigits: 1 } });
    const small = valid({ type: ['number', 'string'], exclusiveMinimum: 0, maximum: 0.1, xsdNumeric: { integer: false, minExclusive: '0', maxInclusive: '0.1', fractionDigits: 2 } }) as number;
    assert.ok(small > 0 && small <= 0.1);
    const big = { type: ['integer', 'string'], pattern: '^[+-]?[0-9]+$', minimum: 1e20, maximum: Number.MAX_SAFE_INTEGER, xsdNumeric: { integer: true, minInclusive: '100000000000000000000' } };
    assert.equal(valid(big), '100000000000000000000');
    assert.equal(valid({ type: 'integer', 'x-xsd-numeric': { integer: true, totalDigits: 1 }, minimum: 2 }), 2);
  });

  it('meets string lengths, every pattern at once, and the xsd-* formats', () => {
    assert.equal(valid({ type: 'string', minLength: 10 }), 'stringstri');
    assert.equal(valid({ type: 'string', maxLength: 2 }), 'st');
    assert.equal(valid({ type: 'string', pattern: '^(?:[A-Z]{3}-\\p{Nd}{3,6})$' }), 'AAA-000');
    valid({ type: 'string', allOf: [{ pattern: '^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$' }, { pattern: '^(?:[a-z]{2}-[A-Z]{2})$' }] });
    valid({ type: 'string', pattern: '^(?:[a-z]+)$', minLength: 4, maxLength: 4 });
    for (const f of ['dateTime', 'date', 'time', 'duration', 'gYear', 'gYearMonth', 'gMonth', 'gMonthDay', 'gDay', 'base64Binary', 'hexBinary']) valid({ type: 'string', format: `xsd-${f}` });
    assert.equal(valid({ type: 'string', format: 'xsd-date', pattern: '^(?:\\p{Nd}{4}-\\p{Nd}{2}-\\p{Nd}{2})$' }), '2024-05-17');
  });

  it('sizes binary values by their octet facets', () => {
    const hex = valid({ type: 'string', format: 'xsd-hexBinary', xsdOctets: { kind: 'hexBinary', length: 4 } }) as string;
    assert.equal(hex.length, 8);
    const b64 = valid({ type: 'string', format: 'xsd-base64Binary', xsdOctets: { kind: 'base64Binary', minLength: 5 } }) as string;
    assert.equal(Buffer.from(b64, 'base64').length, 5);
  });

  it('fills required properties, optional ones near the top, and arrays up to minItems', () => {
    const v = valid({
      type: 'object',
      properties: { a: { type: 'integer' }, b: { type: 'string' }, list: { type: 'array', items: { type: 'boolean' }, minItems: 3 }, none: { type: 'array', items: {}, maxItems: 0 } },
      required: ['a', 'list'],
      additionalProperties: false,
    });
    assert.deepEqual(v, { a: 1, b: 'string', list: [true, true, true], none: [] });
  });

  it('picks the first branch of an xs:choice, and the next when the first cannot be sampled', () => {
    const choice = (first: JsonSchema): JsonSchema => ({
      type: 'object',
      properties: {},
      allOf: [
        {
          if: { required: ['x'] },
          then: { properties: { x: first, y: false }, required: ['x'] },
          else: { if: { required: ['y'] }, then: { properties: { y: { type: 'integer' }, x: false }, required: ['y'] }, else: { 'x-xsd-choice': ['x', 'y'], not: {} } },
        },
      ],
      unevaluatedProperties: false,
    });
    assert.deepEqual(valid(choice({ type: 'string' })), { x: 'string' });
    assert.deepEqual(valid(choice({ type: 'string', minLength: 3, maxLength: 1 })), { y: 1 });
    const impossible = choice({ type: 'string', minLength: 3, maxLength: 1 });
    ((((impossible.allOf as JsonSchema[])[0].else as JsonSchema).then as JsonSchema).properties as JsonSchema).y = { type: 'integer', minimum: 2, maximum: 1 };
    assert.match(refused(impossible), /no number|choice/);
  });

  it('samples the non-null side of nullable references', () => {
    const defs = { T: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false } };
    assert.deepEqual(valid({ if: { type: 'null' }, else: { $ref: '#/$defs/T' } }, defs), { n: 1 });
    assert.deepEqual(valid({ $ref: `${ID}#/$defs/T` }, defs), { n: 1 });
  });

  it('stops recursion at optional places and refuses a required cycle', () => {
    const defs: Record<string, JsonSchema> = {
      Node: { type: 'object', properties: { name: { type: 'string' }, next: { $ref: '#/$defs/Node' }, kids: { type: 'array', items: { $ref: '#/$defs/Node' } } }, required: ['name'], additionalProperties: false },
      Loop: { type: 'object', properties: { self: { $ref: '#/$defs/Loop' } }, required: ['self'] },
    };
    assert.deepEqual(valid({ $ref: '#/$defs/Node' }, defs), { name: 'string', kids: [] });
    assert.match(refused({ $ref: '#/$defs/Loop' }, defs), /contains itself/);
  });

  it('merges allOf parts and takes the first anyOf alternative that works', () => {
    const v = valid({ allOf: [{ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }, { properties: { b: { type: 'string' } }, required: ['b'] }] });
    assert.deepEqual(v, { a: 1, b: 'string' });
    assert.equal(valid({ anyOf: [{ type: 'string', minLength: 2, maxLength: 1 }, { type: 'boolean' }] }), true);
  });

  it('refuses contradictions and unresolvable references instead of guessing', () => {
    assert.match(refused({ type: 'string', minLength: 5, maxLength: 2 }), /no string/);
    assert.match(refused({ type: 'integer', minimum: 3, maximum: 2 }), /no number/);
    assert.match(refused({ $ref: 'urn:elsewhere#/$defs/X' }), /cannot resolve/);
    assert.match(refused({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'], allOf: [{ properties: { a: false } }] }), /required and excluded/);
    assert.match(refused({ type: 'string', pattern: '(' }), /not a valid regular expression/);
  });

  it('gives up, without throwing, on absurd sizes and on nesting deeper than the stack', () => {
    const wide = { type: 'array', minItems: 100, items: { type: 'array', minItems: 100, items: { type: 'integer' } } };
    const sized = new Sampler().sample(wide);
    assert.ok(!sized.ok && /over 5000 values/.test(sized.reason), sized.ok ? '' : sized.reason);
    let deep: JsonSchema = { type: 'string' };
    for (let k = 0; k < 100000; k++) deep = { type: 'array', items: deep, minItems: 1 };
    const stacked = new Sampler().sample(deep);
    assert.ok(!stacked.ok && /call stack/.test(stacked.reason), stacked.ok ? '' : stacked.reason);
  });

  it('gives the same value every time', () => {
    const schema = { type: 'object', properties: { s: { type: 'string', pattern: '^(?:\\p{Lu}{2}\\p{Nd})$' }, d: { type: 'string', format: 'xsd-dateTime' } }, required: ['s', 'd'] };
    assert.deepEqual(valid(schema), valid(schema));
  });

  it('samples every definition of the demo and fixture bundles validly', () => {
    const bundles: Bundle[] = [...compileServices(path.join(ROOT, 'wsdl')).bundles];
    for (const f of ['bare/bare.wsdl', 'bare/abstract.wsdl', 'convention/convention.wsdl', 'rpc/rpc.wsdl']) {
      const b = compileWsdlFile(fixture('golden', f)).bundle;
      if (b) bundles.push(b);
    }
    let n = 0;
    for (const b of bundles) {
      const ajv = createAjv();
      ajv.addSchema(b.schema);
      const sampler = new Sampler([b.schema]);
      for (const def of Object.keys(b.schema.$defs as object)) {
        const ref = `${String(b.schema.$id)}#/$defs/${def}`;
        const r = sampler.sample({ $ref: ref });
        assert.ok(r.ok, `${b.name} ${def}: ${r.ok ? '' : r.reason}`);
        const v = ajv.getSchema(ref)!;
        assert.ok(v(r.value), `${b.name} ${def}: ${JSON.stringify(r.value)} ${JSON.stringify(v.errors)}`);
        n++;
      }
    }
    assert.ok(n > 40, `only ${n} definitions`);
  });
});
