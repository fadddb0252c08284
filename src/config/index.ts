/**
 * Configuration: defaults < environment (.env included) < command-line flags, validated once
 * into a frozen object. Every variable is listed in .env.example.
 */
import { AdminSettingError, DEFAULT_ADMIN_ROUTES, parseAdminSettings } from '../admin/policy';
import { DEFAULT_NONCE_CACHE_SIZE } from '../auth/wss/nonce-cache';
import { DEFAULT_JSON_MAX_DEPTH, JSON_DEPTH_ENV } from '../json/depth';
import { LOG_LEVELS, type LogLevel } from '../log';
import { DEFAULT_READ_LIMITS, LIMIT_ENV_NAMES, type ReadLimits } from '../xml/stream';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly servicesDir: string;
  readonly logLevel: LogLevel;
  readonly backendTimeoutMs: number;
  /** Time allowed to open a connection to a backend. */
  readonly backendConnectTimeoutMs: number;
  /** Connections per backend origin. */
  readonly backendMaxConnections: number;
  /** Calls that may wait for a connection per backend origin; beyond, 503 at once. */
  readonly backendMaxQueue: number;
  /** Retries of an idempotent operation after a connection error, timeout or 502-504. */
  readonly backendRetries: number;
  /** First retry delay, doubled on each further retry. */
  readonly backendRetryBackoffMs: number;
  /** Consecutive failures that open a backend's circuit breaker; 0 turns breakers off. */
  readonly breakerFailures: number;
  /** Time an open breaker refuses calls before a trial call. */
  readonly breakerResetMs: number;
  /** Failures further apart than this from the first of a run start a new count. */
  readonly breakerWindowMs: number;
  readonly maxBodyBytes: number;
  readonly shutdownGraceMs: number;
  /** Processes serving requests (node:cluster) when above 1. */
  readonly workers: number;
  /** Whether /metrics is served and requests are counted. */
  readonly metrics: boolean;
  /** Whether X-Forwarded-Proto/-Host say how callers reach the bridge (behind a trusted proxy). */
  readonly trustProxy: boolean;
  /** Whether changes to bundle files are picked up without a restart (hot reload). */
  readonly watch: boolean;
  /** Quiet time after the last change to a bundle's files before it is recompiled. */
  readonly reloadDebounceMs: number;
  /** Limits on every XML message read at run time (requests, backend replies). */
  readonly xmlMaxDepth: number;
  readonly xmlMaxElements: number;
  readonly xmlMaxAttributes: number;
  readonly xmlMaxNameLength: number;
  readonly xmlMaxTextLength: number;
  readonly xmlMaxAttributeLength: number;
  readonly xmlMaxNsDecls: number;
  readonly xmlMaxNsDeclsTotal: number;
  /** Deepest nesting of arrays and objects in a JSON body (requests, JSON service answers). */
  readonly jsonMaxDepth: number;
  /** Where rate-limit counters live (mapping key rateLimit): this process, or Redis shared by every instance. */
  readonly rateLimitStore: 'memory' | 'redis';
  /** The Redis of RATE_LIMIT_STORE=redis; a password in it is a secret (redacted). */
  readonly redisUrl: string;
  /** Prefix of every rate-limit key in the store. */
  readonly rateLimitPrefix: string;
  /** Bearer token the admin routes need (a secret); '' for none. */
  readonly adminToken: string;
  /** SHA-256 (hex) of that token, instead of the token itself; '' for none. */
  readonly adminTokenSha256: string;
  /** Addresses and CIDRs the admin routes answer, comma-separated; '' for any. */
  readonly adminAllow: string;
  /** The admin routes ADMIN_TOKEN and ADMIN_ALLOW protect, comma-separated. */
  readonly adminRoutes: string;
  /** Nonces of inbound WS-Security UsernameTokens (`soapAuth`) remembered at once against replays. */
  readonly soapAuthNonceCacheSize: number;
  /** Whether /console and /console/api are served (src/console). */
  readonly console: boolean;
  /** Recent exchanges kept per service and operation (the console's history); 0 records nothing. */
  readonly exchangesPerOperation: number;
  /** Bytes all recorded exchanges may take together; the oldest are evicted beyond. */
  readonly exchangesMaxBytes: number;
  /** Each recorded body (request, backend request and reply, answer) is cut at this many bytes. */
  readonly exchangeMaxBodyBytes: number;
}

export const DEFAULTS: Config = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  servicesDir: './wsdl',
  logLevel: 'info',
  backendTimeoutMs: 30000,
  backendConnectTimeoutMs: 5000,
  backendMaxConnections: 128,
  backendMaxQueue: 1000,
  backendRetries: 2,
  backendRetryBackoffMs: 100,
  breakerFailures: 5,
  breakerResetMs: 10000,
  breakerWindowMs: 60000,
  maxBodyBytes: 10485760,
  shutdownGraceMs: 10000,
  workers: 1,
  metrics: true,
  trustProxy: false,
  watch: true,
  reloadDebounceMs: 200,
  xmlMaxDepth: DEFAULT_READ_LIMITS.maxDepth,
  xmlMaxElements: DEFAULT_READ_LIMITS.maxElements,
  xmlMaxAttributes: DEFAULT_READ_LIMITS.maxAttributes,
  xmlMaxNameLength: DEFAULT_READ_LIMITS.maxNameLength,
  xmlMaxTextLength: DEFAULT_READ_LIMITS.maxTextLength,
  xmlMaxAttributeLength: DEFAULT_READ_LIMITS.maxAttributeLength,
  xmlMaxNsDecls: DEFAULT_READ_LIMITS.maxNsDecls,
  xmlMaxNsDeclsTotal: DEFAULT_READ_LIMITS.maxNsDeclsTotal,
  jsonMaxDepth: DEFAULT_JSON_MAX_DEPTH,
  rateLimitStore: 'memory',
  redisUrl: 'redis://127.0.0.1:6379',
  rateLimitPrefix: 'soap-bridge-rl',
  adminToken: '',
  adminTokenSha256: '',
  adminAllow: '',
  adminRoutes: DEFAULT_ADMIN_ROUTES,
  soapAuthNonceCacheSize: DEFAULT_NONCE_CACHE_SIZE,
  console: true,
  exchangesPerOperation: 20,
  exchangesMaxBytes: 16777216,
  exchangeMaxBodyBytes: 65536,
});

/** Environment variable of each setting. */
export const ENV_NAMES: Record<keyof Config, string> = {
  port: 'PORT',
  host: 'HOST',
  servicesDir: 'SERVICES_DIR',
  logLevel: 'LOG_LEVEL',
  backendTimeoutMs: 'BACKEND_TIMEOUT_MS',
  backendConnectTimeoutMs: 'BACKEND_CONNECT_TIMEOUT_MS',
  backendMaxConnections: 'BACKEND_MAX_CONNECTIONS',
  backendMaxQueue: 'BACKEND_MAX_QUEUE',
  backendRetries: 'BACKEND_RETRIES',
  backendRetryBackoffMs: 'BACKEND_RETRY_BACKOFF_MS',
  breakerFailures: 'BREAKER_FAILURES',
  breakerResetMs: 'BREAKER_RESET_MS',
  breakerWindowMs: 'BREAKER_WINDOW_MS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  workers: 'WORKERS',
  metrics: 'METRICS',
  trustProxy: 'TRUST_PROXY',
  watch: 'WATCH',
  reloadDebounceMs: 'RELOAD_DEBOUNCE_MS',
  xmlMaxDepth: LIMIT_ENV_NAMES.maxDepth,
  xmlMaxElements: LIMIT_ENV_NAMES.maxElements,
  xmlMaxAttributes: LIMIT_ENV_NAMES.maxAttributes,
  xmlMaxNameLength: LIMIT_ENV_NAMES.maxNameLength,
  xmlMaxTextLength: LIMIT_ENV_NAMES.maxTextLength,
  xmlMaxAttributeLength: LIMIT_ENV_NAMES.maxAttributeLength,
  xmlMaxNsDecls: LIMIT_ENV_NAMES.maxNsDecls,
  xmlMaxNsDeclsTotal: LIMIT_ENV_NAMES.maxNsDeclsTotal,
  jsonMaxDepth: JSON_DEPTH_ENV,
  rateLimitStore: 'RATE_LIMIT_STORE',
  redisUrl: 'REDIS_URL',
  rateLimitPrefix: 'RATE_LIMIT_PREFIX',
  adminToken: 'ADMIN_TOKEN',
  adminTokenSha256: 'ADMIN_TOKEN_SHA256',
  adminAllow: 'ADMIN_ALLOW',
  adminRoutes: 'ADMIN_ROUTES',
  soapAuthNonceCacheSize: 'SOAP_AUTH_NONCE_CACHE_SIZE',
  console: 'CONSOLE',
  exchangesPerOperation: 'EXCHANGES_PER_OPERATION',
  exchangesMaxBytes: 'EXCHANGES_MAX_BYTES',
  exchangeMaxBodyBytes: 'EXCHANGE_MAX_BODY_BYTES',
};

export class ConfigError extends Error {}

type Raw = Partial<Record<keyof Config, string | number | boolean | undefined>>;

function integer(name: string, value: string | number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Builds the configuration; `flags` win over `env`, which wins over the defaults. */
export function loadConfig(flags: Raw = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (key: keyof Config): string | number | boolean | undefined => {
    const f = flags[key];
    if (f !== undefined && f !== '') return f;
    const e = env[ENV_NAMES[key]];
    if (e !== undefined && e !== '') return e;
    return undefined;
  };
  const label = (key: keyof Config): string => (flags[key] !== undefined ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : ENV_NAMES[key]);
  const num = (key: keyof Config, min: number, max: number): number => {
    const v = pick(key);
    return v === undefined ? (DEFAULTS[key] as number) : integer(label(key), v as string | number, min, max);
  };
  const flag = (key: keyof Config): boolean => {
    const v = pick(key);
    if (v === undefined) return DEFAULTS[key] as boolean;
    if (typeof v === 'boolean') return v;
    const t = String(v).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(t)) return true;
    if (['0', 'false', 'no', 'off'].includes(t)) return false;
    throw new ConfigError(`${label(key)} must be true or false, got "${v}"`);
  };
  const level = String(pick('logLevel') ?? DEFAULTS.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`${label('logLevel')} must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  const store = String(pick('rateLimitStore') ?? DEFAULTS.rateLimitStore).trim().toLowerCase();
  if (store !== 'memory' && store !== 'redis') throw new ConfigError(`${label('rateLimitStore')} must be memory or redis, got "${store}"`);
  const redisUrl = String(pick('redisUrl') ?? DEFAULTS.redisUrl).trim();
  // The URL may hold a password: never repeat it in the message.
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) throw new ConfigError(`${label('redisUrl')} must be a redis:// or rediss:// URL`);
  const rateLimitPrefix = String(pick('rateLimitPrefix') ?? DEFAULTS.rateLimitPrefix);
  if (!/^[A-Za-z0-9:._-]{1,100}$/.test(rateLimitPrefix)) throw new ConfigError(`${label('rateLimitPrefix')} must be 1 to 100 letters, digits or : . _ -, got "${rateLimitPrefix}"`);
  const host = String(pick('host') ?? DEFAULTS.host);
  if (!/^[A-Za-z0-9.:_\-[\]]+$/.test(host)) throw new ConfigError(`${label('host')} is not a host name or address: "${host}"`);
  const text = (key: keyof Config): string => String(pick(key) ?? DEFAULTS[key]);
  const admin = { token: text('adminToken'), tokenSha256: text('adminTokenSha256'), allow: text('adminAllow'), routes: text('adminRoutes') };
  try {
    parseAdminSettings(admin); // checked here, so that a bad setting stops start-up (admin/policy.ts)
  } catch (e) {
    if (e instanceof AdminSettingError) throw new ConfigError(e.message);
    throw e;
  }
  return Object.freeze({
    port: num('port', 0, 65535),
    host,
    servicesDir: String(pick('servicesDir') ?? DEFAULTS.servicesDir),
    logLevel: level as LogLevel,
    backendTimeoutMs: num('backendTimeoutMs', 1, 3600000),
    backendConnectTimeoutMs: num('backendConnectTimeoutMs', 1, 3600000),
    backendMaxConnections: num('backendMaxConnections', 1, 65536),
    backendMaxQueue: num('backendMaxQueue', 0, 1000000),
    backendRetries: num('backendRetries', 0, 10),
    backendRetryBackoffMs: num('backendRetryBackoffMs', 0, 60000),
    breakerFailures: num('breakerFailures', 0, 1000000),
    breakerResetMs: num('breakerResetMs', 1, 3600000),
    breakerWindowMs: num('breakerWindowMs', 1, 86400000),
    maxBodyBytes: num('maxBodyBytes', 1024, 1073741824),
    shutdownGraceMs: num('shutdownGraceMs', 0, 3600000),
    workers: num('workers', 1, 256),
    metrics: flag('metrics'),
    trustProxy: flag('trustProxy'),
    watch: flag('watch'),
    reloadDebounceMs: num('reloadDebounceMs', 0, 60000),
    xmlMaxDepth: num('xmlMaxDepth', 2, 100000),
    xmlMaxElements: num('xmlMaxElements', 1, 1073741824),
    xmlMaxAttributes: num('xmlMaxAttributes', 1, 1000000),
    xmlMaxNameLength: num('xmlMaxNameLength', 1, 1000000),
    xmlMaxTextLength: num('xmlMaxTextLength', 1, 1073741824),
    xmlMaxAttributeLength: num('xmlMaxAttributeLength', 1, 1073741824),
    xmlMaxNsDecls: num('xmlMaxNsDecls', 1, 1000000),
    xmlMaxNsDeclsTotal: num('xmlMaxNsDeclsTotal', 1, 1073741824),
    jsonMaxDepth: num('jsonMaxDepth', 1, 100000),
    rateLimitStore: store,
    redisUrl,
    rateLimitPrefix,
    adminToken: admin.token,
    adminTokenSha256: admin.tokenSha256,
    adminAllow: admin.allow,
    adminRoutes: admin.routes,
    soapAuthNonceCacheSize: num('soapAuthNonceCacheSize', 1, 100000000),
    console: flag('console'),
    exchangesPerOperation: num('exchangesPerOperation', 0, 10000),
    exchangesMaxBytes: num('exchangesMaxBytes', 0, 1073741824),
    exchangeMaxBodyBytes: num('exchangeMaxBodyBytes', 256, 16777216),
  });
}

/** The XML read limits a configuration sets (the same object for the defaults). */
export function xmlLimitsOf(config: Config): ReadLimits {
  const limits: ReadLimits = {
    maxDepth: config.xmlMaxDepth,
    maxElements: config.xmlMaxElements,
    maxAttributes: config.xmlMaxAttributes,
    maxNameLength: config.xmlMaxNameLength,
    maxTextLength: config.xmlMaxTextLength,
    maxAttributeLength: config.xmlMaxAttributeLength,
    maxNsDecls: config.xmlMaxNsDecls,
    maxNsDeclsTotal: config.xmlMaxNsDeclsTotal,
    names: LIMIT_ENV_NAMES,
  };
  const same = (Object.keys(LIMIT_ENV_NAMES) as (keyof typeof LIMIT_ENV_NAMES)[]).every((k) => limits[k] === DEFAULT_READ_LIMITS[k]);
  return same ? DEFAULT_READ_LIMITS : Object.freeze(limits);
}
