/**
 * Outbound HTTP to backends: undici with pooled keep-alive connections, a total timeout per
 * call (connect, send, headers and body included) and a cap on the reply size. Failures are
 * TransportErrors with a stable code; nothing else escapes.
 */
import { buildConnector, Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { OutboundTls } from '../tls/outbound';
import { describeTlsFailure } from '../tls/errors';
import { Breaker, type BreakerSettings, type BreakerState } from './breaker';

/**
 * TIMEOUT: no complete reply in time; CONNECT_TIMEOUT: no TCP connection in time; UNREACHABLE:
 * refused, reset, closed; TOO_LARGE: reply over the limit; CIRCUIT_OPEN: the backend's breaker
 * is open (not called); OVERLOADED: too many calls already wait for this backend (not called).
 */
export type TransportErrorCode = 'TIMEOUT' | 'CONNECT_TIMEOUT' | 'UNREACHABLE' | 'TOO_LARGE' | 'CIRCUIT_OPEN' | 'OVERLOADED';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    override readonly cause?: unknown,
    /** CIRCUIT_OPEN: seconds until the breaker lets a trial call through. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface HttpReply {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

export interface PostOptions {
  /** Default POST. */
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  /** Undefined sends no body (GET, DELETE). */
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Time allowed to open the TCP connection; default: the transport's. */
  connectTimeoutMs?: number;
  /** Extra attempts after a connection error, timeout or HTTP 502-504 (idempotent calls only); default 0. */
  retries?: number;
  /** The breaker of this backend; undefined: the transport's default, false: none. */
  breaker?: BreakerSettings | false;
  /** Whether a reply counts as a failure of the backend (breaker, retries); default: status >= 500. */
  isFailure?: (reply: HttpReply) => boolean;
  /** Outbound TLS of an https:// backend (mapping key `tls`): its own pool per settings. */
  tls?: OutboundTls;
  /** Called before each retry. */
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

export interface TransportOptions {
  /** Connections kept per backend origin (BACKEND_MAX_CONNECTIONS). */
  connectionsPerOrigin?: number;
  /** Calls that may wait for a connection per backend origin beyond those in flight (BACKEND_MAX_QUEUE); more are refused at once. */
  maxQueuePerOrigin?: number;
  /** Default time allowed to open a connection (BACKEND_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Default breaker of every backend origin; false: none. */
  breaker?: BreakerSettings | false;
  /** First retry delay; doubled on each further retry (with jitter). */
  retryBackoffMs?: number;
}

/** One backend origin as the bridge sees it: its pool, calls in flight, breaker. */
interface Backend {
  pool: Pool;
  /**
   * TLS errors of its connections by local port (https only): undici reports a
   * connection the backend closed with a TLS alert (a client certificate it requires or
   * refuses) as "other side closed"; the alert itself is kept here to name the problem.
   */
  tlsErrors?: Map<number, Error>;
  inFlight: number;
  breaker?: Breaker;
  breakerKey?: string;
}

export interface BackendStatus {
  origin: string;
  inFlight: number;
  circuit: BreakerState | 'none';
}

/** How the last call to an origin ended (after its retries): for the console's health view. */
export interface LastCall {
  at: string;
  ok: boolean;
  status?: number;
  ms: number;
  error?: string;
}

const RETRY_STATUSES = new Set([502, 503, 504]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function describeFailure(e: unknown): string {
  const tlsProblem = describeTlsFailure(e);
  if (tlsProblem) return tlsProblem;
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const msg = err.cause?.message ?? err.message ?? String(e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/**
 * A backend that refuses our client certificate after the handshake (a TLS 1.3 server that does
 * not trust its issuer, or finds it expired) may close the connection without a TLS alert; the
 * caller then sees only "other side closed", which deserves a hint when the connection never
 * delivered a byte (a fresh connection, not an idle one the backend dropped).
 */
function closedAfterHandshake(e: unknown, sentCert: boolean): string {
  const err = e as { code?: unknown; message?: unknown; socket?: { bytesRead?: number } };
  // A TLS 1.2 server (Node's among them) that refuses the client certificate may close the
  // connection before the handshake ends, without an alert: Node reports ECONNRESET then.
  const inHandshake = err.code === 'ECONNRESET' && typeof err.message === 'string' && err.message.includes('before secure TLS connection was established');
  if (!inHandshake && (err.code !== 'UND_ERR_SOCKET' || err.socket?.bytesRead !== 0)) return describeFailure(e);
  const why = sentCert
    ? 'the backend probably refuses the client certificate (tls.cert): check that it trusts the certificate\'s issuer and that the certificate has not expired'
    : 'the backend probably requires a client certificate: set tls.cert and tls.key';
  return `TLS: the backend closed the connection ${inHandshake ? 'during the handshake' : 'without an answer'} (${describeFailure(e)}); ${why}`;
}

export class Transport {
  /** Pools by origin, connect timeout and TLS identity (the breaker stays per origin). */
  private readonly backends = new Map<string, Backend>();
  /** Parsed endpoint URLs (a bundle has few). */
  private readonly targets = new Map<string, { origin: string; path: string }>();
  private readonly connections: number;
  private readonly maxQueue: number;
  private readonly connectTimeoutMs: number;
  private readonly keepAliveTimeoutMs: number;
  private readonly defaultBreaker: BreakerSettings | false;
  private readonly retryBackoffMs: number;
  /** Breakers by origin: shared by the pools of one origin. */
  private readonly breakers = new Map<string, Breaker>();

  constructor(options: TransportOptions = {}) {
    this.connections = options.connectionsPerOrigin ?? 128;
    this.maxQueue = options.maxQueuePerOrigin ?? 1000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 10_000;
    this.defaultBreaker = options.breaker ?? false;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  private backend(origin: string, connectTimeoutMs: number, tls: OutboundTls | undefined): Backend {
    const key = `${origin} ${connectTimeoutMs} ${tls?.id ?? '-'}`;
    let b = this.backends.get(key);
    if (!b) {
      let connect: Pool.Options['connect'] = { timeout: connectTimeoutMs };
      let tlsErrors: Map<number, Error> | undefined;
      if (origin.startsWith('https:')) {
        const errors = (tlsErrors = new Map());
        const base = buildConnector({ ...tls?.connect, timeout: connectTimeoutMs });
        connect = (opts, cb) =>
          base(opts, (err, socket) => {
            const port = socket?.localPort;
            if (socket && port !== undefined) {
              socket.prependListener('error', (e: NodeJS.ErrnoException) => {
                if (typeof e.code !== 'string' || !/^ERR_(SSL|TLS)_/.test(e.code)) return;
                if (errors.size >= 64) errors.clear();
                errors.set(port, e);
              });
              socket.once('close', () => setTimeout(() => errors.delete(port), 5000).unref());
            }
            if (err) cb(err, null);
            else cb(null, socket!);
          });
      }
      const pool = new Pool(origin, { connections: this.connections, keepAliveTimeout: this.keepAliveTimeoutMs, pipelining: 1, connect });
      b = { pool, inFlight: 0, tlsErrors };
      this.backends.set(key, b);
    }
    return b;
  }

  private breakerOf(origin: string, settings: BreakerSettings | false): Breaker | undefined {
    if (!settings) return undefined;
    const key = `${origin} ${settings.failures} ${settings.resetMs} ${settings.windowMs ?? ''}`;
    let br = this.breakers.get(key);
    if (!br) {
      br = new Breaker(settings);
      this.breakers.set(key, br);
    }
    return br;
  }

  /** The outcome of the last call to each origin (not counting calls a breaker or the queue bound refused). */
  private readonly lastCalls = new Map<string, Omit<LastCall, 'at'> & { atMs: number }>();

  lastCall(origin: string): LastCall | undefined {
    const c = this.lastCalls.get(origin);
    if (!c) return undefined;
    const { atMs, ...rest } = c;
    return { at: new Date(atMs).toISOString(), ...rest };
  }

  /** Calls in flight and breaker state by origin (cheap: no I/O). */
  status(): BackendStatus[] {
    const byOrigin = new Map<string, BackendStatus>();
    for (const [key, b] of this.backends) {
      const origin = key.slice(0, key.indexOf(' '));
      const s = byOrigin.get(origin) ?? { origin, inFlight: 0, circuit: 'none' as const };
      s.inFlight += b.inFlight;
      byOrigin.set(origin, s);
    }
    for (const [key, br] of this.breakers) {
      const origin = key.slice(0, key.indexOf(' '));
      const s = byOrigin.get(origin) ?? { origin, inFlight: 0, circuit: 'none' as const };
      const st = br.state();
      // The worst state of the origin's breakers.
      if (s.circuit === 'none' || st === 'open' || (st === 'half-open' && s.circuit === 'closed')) s.circuit = st;
      byOrigin.set(origin, s);
    }
    return [...byOrigin.values()];
  }

  /**
   * One call with the policies of the backend: the breaker is asked first (open: refused at
   * once), the queue bound next; connection errors, timeouts and HTTP 502-504 are retried
   * up to `retries` times with exponential backoff; failures and successes feed the breaker.
   */
  async post(url: string, options: PostOptions): Promise<HttpReply> {
    let target = this.targets.get(url);
    if (!target) {
      const u = new URL(url);
      target = { origin: u.origin, path: `${u.pathname}${u.search}` || '/' };
      if (this.targets.size < 1000) this.targets.set(url, target);
    }
    const connectTimeoutMs = options.connectTimeoutMs ?? this.connectTimeoutMs;
    const backend = this.backend(target.origin, connectTimeoutMs, options.tls);
    const breaker = this.breakerOf(target.origin, options.breaker ?? this.defaultBreaker);
    const isFailure = options.isFailure ?? ((r: HttpReply) => r.status >= 500);
    const retries = options.retries ?? 0;
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      if (breaker && !breaker.allow()) {
        const s = Math.max(1, Math.ceil(breaker.retryInMs() / 1000));
        throw new TransportError('CIRCUIT_OPEN', `the circuit breaker of ${target.origin} is open after repeated failures; retry in ${s} s`, undefined, s);
      }
      if (backend.inFlight >= this.connections + this.maxQueue) {
        breaker?.release();
        throw new TransportError('OVERLOADED', `${backend.inFlight} calls to ${target.origin} are in flight or waiting (limit ${this.connections} connections + ${this.maxQueue} waiting)`);
      }
      backend.inFlight++;
      let reply: HttpReply | undefined;
      let error: TransportError | undefined;
      try {
        reply = await this.once(backend, target.path, options, connectTimeoutMs);
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        error = e;
      } finally {
        backend.inFlight--;
      }
      const failed = error ? error.code !== 'TOO_LARGE' : isFailure(reply!);
      if (breaker) {
        if (failed) breaker.failure();
        else breaker.success();
      }
      const retryable = error ? error.code === 'TIMEOUT' || error.code === 'CONNECT_TIMEOUT' || error.code === 'UNREACHABLE' : failed && RETRY_STATUSES.has(reply!.status);
      if (!retryable || attempt >= retries) {
        if (this.lastCalls.size < 1000 || this.lastCalls.has(target.origin)) {
          const ms = Math.round((performance.now() - started) * 100) / 100;
          this.lastCalls.set(target.origin, error ? { atMs: Date.now(), ok: false, ms, error: error.message } : { atMs: Date.now(), ok: !failed, status: reply!.status, ms });
        }
        if (error) throw error;
        return reply!;
      }
      const delay = Math.round(this.retryBackoffMs * 2 ** attempt * (0.5 + Math.random() / 2));
      options.onRetry?.(attempt + 1, error ? error.message : `HTTP ${reply!.status}`, delay);
      await sleep(delay);
    }
  }

  /**
   * One attempt through undici's dispatch API: no stream objects per call, the reply collected
   * as Buffers, one timer for the whole call (connect, send, headers and body).
   */
  private once(backend: Backend, path: string, options: PostOptions, connectTimeoutMs: number): Promise<HttpReply> {
    const { pool, tlsErrors } = backend;
    const { timeoutMs, maxBytes } = options;
    return new Promise<HttpReply>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let status = 0;
      let contentType: string | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const settle = (err: TransportError | undefined, reply?: HttpReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          reject(err);
          controller?.abort(err);
        } else resolve(reply!);
      };
      const timer = setTimeout(() => settle(new TransportError('TIMEOUT', `no complete reply within ${timeoutMs} ms`)), timeoutMs);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(new Error('settled'));
        },
        onResponseStart(_c, statusCode, headers) {
          if (statusCode < 200) return; // 1xx: the real response follows
          status = statusCode;
          const ct = headers['content-type'];
          contentType = Array.isArray(ct) ? ct[0] : ct;
          const declared = Number(headers['content-length']);
          if (Number.isFinite(declared) && declared > maxBytes) settle(new TransportError('TOO_LARGE', `reply of ${declared} bytes is over the ${maxBytes}-byte limit`));
        },
        onResponseData(_c, chunk) {
          size += chunk.length;
          if (size > maxBytes) settle(new TransportError('TOO_LARGE', `reply is over the ${maxBytes}-byte limit`));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          settle(undefined, { status, contentType, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
        },
        onResponseError(_c, err) {
          if (err instanceof undiciErrors.ConnectTimeoutError) {
            settle(new TransportError('CONNECT_TIMEOUT', `no connection within ${connectTimeoutMs} ms`, err));
            return;
          }
          const timeout = err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
          // Refused, reset, DNS failure, closed mid-reply: the backend could not be reached properly.
          if (timeout) {
            settle(new TransportError('TIMEOUT', `no complete reply within ${timeoutMs} ms`, err));
            return;
          }
          // A connection closed by a TLS alert: the alert names the problem.
          const port = (err as { socket?: { localPort?: number } }).socket?.localPort;
          const alert = port !== undefined ? tlsErrors?.get(port) : undefined;
          if (alert) tlsErrors!.delete(port!);
          const cause = alert ?? err;
          settle(new TransportError('UNREACHABLE', !alert && options.tls && tlsErrors && status === 0 ? closedAfterHandshake(err, options.tls?.connect.cert !== undefined) : describeFailure(cause), cause));
        },
      };
      try {
        pool.dispatch({ path, method: options.method ?? 'POST', headers: options.headers, body: options.body ?? null, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, handler);
      } catch (e) {
        settle(new TransportError('UNREACHABLE', describeFailure(e), e));
      }
    });
  }

  /**
   * Closes the pooled connections once the calls in flight are done; with `graceMs`, calls still
   * waiting on a backend after that long are failed (the pools are destroyed), so that closing
   * never waits for a backend that does not answer.
   */
  async close(graceMs?: number): Promise<void> {
    const pools = [...this.backends.values()].map((b) => b.pool);
    this.backends.clear();
    const closed = Promise.all(pools.map((p) => p.close())).then(() => undefined);
    if (graceMs === undefined) return closed;
    closed.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(0, graceMs));
    });
    const result = await Promise.race([closed, expired]);
    clearTimeout(timer);
    if (result === 'expired') await Promise.all(pools.map((p) => p.destroy()));
  }
}
