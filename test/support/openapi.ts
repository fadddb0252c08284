/**
 * Checks of generated OpenAPI documents shared by the tests: the published validators
 * (swagger-parser, Redocly's linter), and an independent check of every example.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { Bundle } from '../../src/compile';
import { createAjv } from '../../src/compile/ajv';
import type { OpenApiDocument } from '../../src/openapi';
import { absoluteRefs } from '../../src/openapi/examples';
import type { JsonSchema } from '../../src/model/route';
import { ROOT } from './compile';
import { tempDir } from './bridge';
import { noteOutput } from './secrets';

/** swagger-parser's validate() (OpenAPI 3.1 schema, every $ref resolvable); it dereferences in place, so on a copy. */
export async function swaggerValidate(doc: OpenApiDocument): Promise<void> {
  await SwaggerParser.validate(structuredClone(doc) as unknown as OpenAPIV3_1.Document);
}

export interface LintResult {
  errors: number;
  warnings: number;
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/** `redocly lint` (its CLI, in a child process bounded to 60 s) with test/openapi/redocly.yaml. */
export async function redoclyLint(doc: OpenApiDocument): Promise<LintResult> {
  const tmp = tempDir('redocly');
  try {
    const file = path.join(tmp.dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    const cli = path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const config = path.join(ROOT, 'test', 'openapi', 'redocly.yaml');
    // Telemetry and the update check would reach for the network: both off.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [cli, 'lint', '--config', config, '--format', 'json', file], { env, timeout: 60000, maxBuffer: 64 * 1024 * 1024 }, (err, out, errOut) => {
        // Its output (it quotes the document) goes to the secrets guard too.
        noteOutput('redocly lint stdout', out);
        noteOutput('redocly lint stderr', errOut);
        // Exit code 1 only means "problems found": the JSON says which.
        if (err && (err.killed || !out.trim().startsWith('{'))) reject(new Error(`redocly lint failed: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: LintResult['problems'] };
    return { errors: report.totals.errors, warnings: report.totals.warnings, problems: report.problems };
  } finally {
    tmp.remove();
  }
}

export interface ExampleCount {
  checked: number;
}

/**
 * Every example the document gives for the bundle's routes, validated with a fresh createAjv()
 * against the bundle's own JSON Schema (not the document's copy).
 */
export function checkExamples(bundle: Bundle, doc: OpenApiDocument): ExampleCount {
  const ajv = createAjv();
  ajv.addSchema(bundle.schema);
  const id = String(bundle.schema.$id);
  const check = (schema: JsonSchema, value: unknown, what: string): void => {
    const validate = ajv.compile(absoluteRefs(schema, id) as JsonSchema);
    assert.ok(validate(value), `${bundle.name} ${what}: example ${JSON.stringify(value).slice(0, 300)} is not valid: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    count.checked++;
  };
  const count = { checked: 0 };
  for (const route of bundle.routes) {
    const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok(op, `${bundle.name}: ${route.method} ${route.path} is in the document`);
    const request = op.requestBody?.content?.['application/json'];
    if (route.requestBody && request && 'example' in request) check(route.requestBody, request.example, `${route.path} request`);
    const response = op.responses?.['200']?.content?.['application/json'];
    if (route.response && response && 'example' in response) check(route.response, response.example, `${route.path} response`);
    for (const p of route.parameters) {
      const param = (op.parameters as Record<string, unknown>[]).find((x) => x.name === p.name && x.in === p.in);
      if (param && 'example' in param) check(p.schema, param.example, `${route.path} parameter ${p.name}`);
    }
  }
  return count;
}
