/**
 * The admin routes' hooks into the HTTP app: a guard per route name (policy.ts) and the
 * `POST /admin/reload` route. A new admin route takes a name in ADMIN_ROUTE_NAMES and mounts
 * `adminGuard(deps, name)` in front of its handler.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import type { Config } from '../config';
import { BridgeError } from '../errors/catalogue';
import { checkAdminAccess, parseAdminSettings, type AdminPolicy, type AdminRouteName } from './policy';
import type { ReloadAnswer } from './reload';

export interface AdminDeps {
  config: Config;
  /** Reloads every bundle (under cluster, in every worker); absent: the route answers 404. */
  reload?: () => Promise<ReloadAnswer>;
}

const policies = new WeakMap<Config, AdminPolicy>();

/** The admin policy of a configuration (checked by loadConfig already), worked out once. */
export function adminPolicyOf(config: Config): AdminPolicy {
  let policy = policies.get(config);
  if (!policy) {
    policy = parseAdminSettings({ token: config.adminToken, tokenSha256: config.adminTokenSha256, allow: config.adminAllow, routes: config.adminRoutes });
    policies.set(config, policy);
  }
  return policy;
}

/** Middleware that lets the request on to the admin route `name` only when the caller may use it. */
export function adminGuard(deps: AdminDeps, name: AdminRouteName): RequestHandler {
  const policy = adminPolicyOf(deps.config);
  return (req: Request, _res: Response, next: NextFunction) => {
    checkAdminAccess(policy, name, req, deps.config.trustProxy);
    next();
  };
}

/** `POST /admin/reload` (other methods: 405), behind its guard. */
export function adminRoutes(deps: AdminDeps): express.Router {
  const router = express.Router();
  router.use('/admin/reload', adminGuard(deps, 'reload'));
  router.post('/admin/reload', async (_req, res) => {
    if (!deps.reload) throw new BridgeError('NOT_FOUND', 'reloading is not available in this process');
    const answer = await deps.reload();
    res.setHeader('cache-control', 'no-store');
    res.json(answer);
  });
  router.all('/admin/reload', (req: Request) => {
    throw new BridgeError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use POST`, { headers: { allow: 'POST' } });
  });
  return router;
}
