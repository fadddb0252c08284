/**
 * `GET /openapi.json` (the OpenAPI document of the bundles being served, with `servers` set
 * to the URL the caller used) and `GET /docs` (Swagger UI, from the swagger-ui-dist package:
 * nothing is fetched from elsewhere). The document is built once per set of bundles: hot
 * reload replaces the registry's bundles, and the next request sees the new set.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Bundle } from '../compile';
import { BridgeError } from '../errors/catalogue';
import { buildOpenApi, withServer, type OpenApiDocument } from '../openapi';

/** What the routes need of the service registry: the bundles served now. */
export interface BundleList {
  list(): readonly Bundle[];
}

/** Serialized documents kept per origin (Host is the caller's to choose, so the count is bounded). */
const MAX_ORIGINS = 32;

export class OpenApiCache {
  private bundles: readonly Bundle[] = [];
  private base?: OpenApiDocument;
  private readonly bodies = new Map<string, { body: string; etag: string }>();

  constructor(private readonly registry: BundleList) {}

  get(origin: string | undefined): { body: string; etag: string } {
    const current = this.registry.list();
    if (current.length !== this.bundles.length || current.some((b, i) => b !== this.bundles[i])) {
      this.bundles = current;
      this.base = undefined;
      this.bodies.clear();
    }
    const key = origin ?? '';
    const hit = this.bodies.get(key);
    if (hit) return hit;
    this.base ??= buildOpenApi(current);
    const body = JSON.stringify(withServer(this.base, origin));
    const out = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    if (this.bodies.size >= MAX_ORIGINS) this.bodies.delete(this.bodies.keys().next().value!);
    this.bodies.set(key, out);
    return out;
  }
}

/** Where swagger-ui-dist is installed, and its version; undefined when it is not installed. */
function findUi(): { dir: string; version: string } | undefined {
  try {
    const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    return { dir, version };
  } catch {
    return undefined;
  }
}

const ASSET_FILES = new Set(['swagger-ui.css', 'swagger-ui.css.map', 'swagger-ui-bundle.js', 'swagger-ui-bundle.js.map', 'favicon-32x32.png', 'favicon-16x16.png']);
const YEAR_MS = 365 * 24 * 3600 * 1000;

/** The page; `assets` has the UI's version in it, so a file never changes under its URL and may be cached for a year. */
function page(assets: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>soap-bridge API reference</title>
<link rel="stylesheet" href="${assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="${assets}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${assets}/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;
}

// validatorUrl null: Swagger UI would otherwise send the document to an online validator.
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

/** Only this origin's scripts and styles; Swagger UI sets inline styles and uses data: images. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function notModified(req: Request, res: Response, etag: string): boolean {
  res.setHeader('etag', etag);
  if (!req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return false;
  res.status(304).end();
  return true;
}

export function docsRoutes(registry: BundleList, origin: (req: IncomingMessage) => string | undefined): express.Router {
  const router = express.Router();
  const cache = new OpenApiCache(registry);

  router.get('/openapi.json', (req, res) => {
    const doc = cache.get(origin(req));
    res.setHeader('cache-control', 'no-cache');
    if (notModified(req, res, doc.etag)) return;
    res.type('application/json').send(doc.body);
  });

  const ui = findUi();
  const missing = (): never => {
    throw new BridgeError('NOT_FOUND', 'the API reference UI is not installed (npm package swagger-ui-dist); /openapi.json is served all the same');
  };
  const assets = ui ? `/docs/assets/${encodeURIComponent(ui.version)}` : '';
  const html = ui ? page(assets) : '';

  // `/docs` and `/docs/` (routing is not strict about the trailing slash).
  router.get('/docs', (_req, res) => {
    if (!ui) missing();
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.type('text/html').send(html);
  });

  router.get('/docs/init.js', (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-content-type-options', 'nosniff');
    res.type('text/javascript').send(INIT);
  });

  router.get('/docs/assets/:version/:file', (req: Request, res: Response, next: NextFunction) => {
    const file = String(req.params.file);
    if (!ui) missing();
    if (req.params.version !== ui!.version || !ASSET_FILES.has(file)) throw new BridgeError('NOT_FOUND', `no file ${file} in the API reference UI ${ui!.version}`);
    res.setHeader('x-content-type-options', 'nosniff');
    res.sendFile(path.join(ui!.dir, file), { maxAge: YEAR_MS, immutable: true, lastModified: false }, (err?: Error) => {
      if (err && !res.headersSent) next(new BridgeError('NOT_FOUND', `${file} of the API reference UI cannot be read`));
    });
  });

  return router;
}
