// @ts-check
/**
 * The console's calls to /console/api: JSON in and out, the admin token (kept in this tab's
 * sessionStorage) sent as a bearer token, a problem+json answer turned into an ApiError.
 */

const TOKEN_KEY = 'soap-bridge.console.adminToken';

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {unknown} [problem] */
  constructor(status, message, problem) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} token an empty one forgets it */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage refused (private mode): the token lasts until the page is left */
  }
}

/**
 * @param {string} path under /console/api, e.g. "/services"
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json, application/problem+json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/console/api${path}`, {
    method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    signal: options.signal,
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await res.text();
  /** @type {any} */
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const detail = json && typeof json === 'object' ? json.detail ?? json.title : undefined;
    throw new ApiError(res.status, `${res.status} ${detail ?? res.statusText ?? 'error'}`, json);
  }
  return json;
}

/** @param {string} s */
export const enc = (s) => encodeURIComponent(s);
