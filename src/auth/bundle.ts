/**
 * The `auth` settings of one bundle: the bundle's, and each operation's (a map replaces the
 * bundle's, `false` makes the operation public). Compiled once per bundle load.
 */
import type { Diagnostics } from '../compile/diagnostics';
import type { Mapping, Where } from '../mapping';
import { compileAuth, type Authenticator } from './index';

export class BundleAuth {
  /** Key files read (PEM, JWKS): part of the bundle, so a change reloads it. */
  readonly files: string[];
  private readonly bundleAuth: Authenticator | undefined;
  private readonly byOperation = new Map<string, Authenticator | false>();

  constructor(mapping: Mapping, where: Where, dir: string, service: string, diags: Diagnostics, restFacade = true) {
    const files = new Set<string>();
    const ctx = { dir, where, diags, service, files };
    this.bundleAuth = mapping.auth ? compileAuth(mapping.auth, ['auth'], ctx) : undefined;
    for (const [name, op] of Object.entries(mapping.operations ?? {})) {
      if (op.auth === undefined) continue;
      this.byOperation.set(name, op.auth === false ? false : (compileAuth(op.auth, ['operations', name, 'auth'], ctx) ?? false));
    }
    this.files = [...files];
    if (!restFacade) {
      const at = mapping.auth !== undefined ? ['auth'] : Object.keys(mapping.operations ?? {}).filter((n) => mapping.operations?.[n]?.auth !== undefined).map((n) => ['operations', n, 'auth'])[0];
      if (at) diags.warn(where(at, true), `${at.join('.')} has no effect: auth protects the REST facade, and the service has none (it sets restBackend only)`);
    }
  }

  /**
   * The bundle's own authenticator (`auth:` at the top of the mapping), if any: what a request
   * for a route the service does not have must pass before it is told so, so that callers
   * without credentials cannot list the routes by their 404s and 405s.
   */
  get service(): Authenticator | undefined {
    return this.bundleAuth;
  }

  /** The operation's authenticator; false for a public operation (auth: false), undefined when no auth applies. */
  forOperation(name: string): Authenticator | false | undefined {
    const own = this.byOperation.get(name);
    return own !== undefined ? own : this.bundleAuth;
  }
}
