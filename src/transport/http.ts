/**
 * Outbound HTTP to backends: undici with pooled keep-alive connections, a total timeout per
 * call (connect, send, headers and body included) and a cap on the reply size. Failures are
 * TransportErrors with a stable code; nothing else escapes.
 */
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';

export type TransportErrorCode = 'TIMEOUT' | 'UNREACHABLE' | 'TOO_LARGE';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    override readonly cause?: unknown,
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
}

export interface TransportOptions {
  /** Connections kept per backend origin. */
  connectionsPerOrigin?: number;
  keepAliveTimeoutMs?: number;
}

function describeFailure(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const msg = err.cause?.message ?? err.message ?? String(e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

export class Transport {
  private readonly agent: Agent;
  /** Parsed endpoint URLs (a bundle has few). */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(options: TransportOptions = {}) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 128,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
      pipelining: 1,
    });
  }

  /**
   * POST through undici's dispatch API: no stream objects per call, the reply collected as
   * Buffers, one timer for the whole call (connect, send, headers and body).
   */
  post(url: string, options: PostOptions): Promise<HttpReply> {
    let target = this.targets.get(url);
    if (!target) {
      const u = new URL(url);
      target = { origin: u.origin, path: `${u.pathname}${u.search}` || '/' };
      if (this.targets.size < 1000) this.targets.set(url, target);
    }
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
          const timeout = err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError;
          // Refused, reset, DNS failure, closed mid-reply: the backend could not be reached properly.
          settle(timeout ? new TransportError('TIMEOUT', `no complete reply within ${timeoutMs} ms`, err) : new TransportError('UNREACHABLE', describeFailure(err), err));
        },
      };
      try {
        this.agent.dispatch({ origin: target!.origin, path: target!.path, method: options.method ?? 'POST', headers: options.headers, body: options.body ?? null, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, handler);
      } catch (e) {
        settle(new TransportError('UNREACHABLE', describeFailure(e), e));
      }
    });
  }

  /**
   * Closes the pooled connections once the calls in flight are done; with `graceMs`, calls still
   * waiting on a backend after that long are failed (the agent is destroyed), so that closing
   * never waits for a backend that does not answer.
   */
  async close(graceMs?: number): Promise<void> {
    const closed = this.agent.close();
    if (graceMs === undefined) return closed;
    closed.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(0, graceMs));
    });
    const result = await Promise.race([closed, expired]);
    clearTimeout(timer);
    if (result === 'expired') await this.agent.destroy();
  }
}
