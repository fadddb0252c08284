/**
 * Outbound HTTP to backends: undici with pooled keep-alive connections, a total timeout per
 * call (connect, send, headers and body included) and a cap on the reply size. Failures are
 * TransportErrors with a stable code; nothing else escapes.
 */
import { Agent, request, errors as undiciErrors } from 'undici';

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
  headers: Record<string, string>;
  body: string;
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

  constructor(options: TransportOptions = {}) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 128,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
      pipelining: 1,
    });
  }

  async post(url: string, options: PostOptions): Promise<HttpReply> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: options.headers,
        body: options.body,
        dispatcher: this.agent,
        signal: controller.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        res.body.destroy();
        throw new TransportError('TOO_LARGE', `reply of ${declared} bytes is over the ${options.maxBytes}-byte limit`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > options.maxBytes) {
          res.body.destroy();
          throw new TransportError('TOO_LARGE', `reply is over the ${options.maxBytes}-byte limit`);
        }
        chunks.push(chunk as Buffer);
      }
      const ct = res.headers['content-type'];
      return {
        status: res.statusCode,
        contentType: Array.isArray(ct) ? ct[0] : ct,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size),
      };
    } catch (e) {
      if (e instanceof TransportError) throw e;
      if (timedOut || e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError || e instanceof undiciErrors.ConnectTimeoutError) {
        throw new TransportError('TIMEOUT', `no complete reply within ${options.timeoutMs} ms`, e);
      }
      // Refused, reset, DNS failure, closed mid-reply: the backend could not be reached properly.
      throw new TransportError('UNREACHABLE', describeFailure(e), e);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
