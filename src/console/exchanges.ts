/**
 * Recent exchanges: what calls through either facade looked like, stage by stage, for the web
 * console (docs/console.md). A Recorder rides in the call context and keeps references to the
 * strings and buffers the pipeline made anyway (no copies on the request path); when the call is
 * done, `ExchangeStore.add` redacts every body (log/redact.ts) and cuts it at
 * EXCHANGE_MAX_BODY_BYTES, so a stored record never holds a secret. The store keeps the last N
 * per service and operation and a global byte budget, oldest evicted first; in memory only.
 */
import { redactText, redactValue } from '../log/redact';
import type { ProblemItem } from '../errors/catalogue';

export type Facade = 'rest' | 'soap';

export interface Body {
  contentType?: string;
  body: string;
  truncated?: true;
}

export interface ExchangeRecord {
  id: string;
  at: string;
  facade: Facade;
  service: string;
  operation: string | null;
  route: string;
  requestId: string;
  principal?: string;
  dryRun: boolean;
  status: number;
  durationMs: number;
  backendMs?: number;
  request: Body;
  backendRequest?: { url: string; method: string; headers: Record<string, string>; body: string; truncated?: true };
  backendResponse?: { status: number; contentType?: string; body: string; truncated?: true; ms: number };
  response: { status: number; contentType?: string; body: string; truncated?: true };
  errors?: { pointer?: string; in?: string; parameter?: string; detail: string }[];
  error?: { code: string; detail: string };
}

export type ExchangeSummary = Pick<ExchangeRecord, 'id' | 'at' | 'facade' | 'service' | 'operation' | 'route' | 'status' | 'durationMs' | 'dryRun'>;

type Raw = string | Buffer | undefined;

/**
 * The stages of one call as they happen; every method only stores references. The pipeline
 * calls the backend ones (rest-to-soap.ts, soap-to-rest.ts), the HTTP layer the others.
 */
export class Recorder {
  readonly at = new Date();
  service = '';
  operation: string | null = null;
  principal?: string;
  dryRun = false;
  backendMs?: number;
  request?: { contentType?: string; body: Raw };
  backendRequest?: { url: string; method: string; headers: Record<string, string>; body: Raw };
  backendResponse?: { status: number; contentType?: string; body: Raw; ms: number };
  response?: { status: number; contentType?: string; body: Raw };
  errors?: readonly ProblemItem[];
  error?: { code: string; detail: string };

  constructor(
    readonly facade: Facade,
    readonly route: string,
    readonly requestId: string,
  ) {}

  noteBackendRequest(url: string, method: string, headers: Record<string, string>, body: Raw): void {
    this.backendRequest = { url, method, headers, body };
  }

  noteBackendResponse(status: number, contentType: string | undefined, body: Raw, ms: number): void {
    this.backendResponse = { status, contentType, body, ms };
  }

  noteAnswer(status: number, contentType: string | undefined, body: Raw): void {
    this.response = { status, contentType, body };
  }

  noteError(code: string, detail: string, errors?: readonly ProblemItem[]): void {
    this.error = { code, detail };
    if (errors?.length) this.errors = errors;
  }
}

/** `text` redacted, then cut at `max` bytes of UTF-8 (never inside a character). */
export function cutBody(raw: Raw, max: number): { body: string; truncated?: true } {
  if (raw === undefined) return { body: '' };
  // Only what can be kept is redacted (plus a margin for what redaction shortens), so a
  // 10 MB body costs no more than a small one.
  const margin = max + 4096;
  let text: string;
  let cut = false;
  if (typeof raw === 'string') {
    cut = raw.length > margin;
    text = cut ? raw.slice(0, margin) : raw;
  } else {
    cut = raw.length > margin;
    text = (cut ? raw.subarray(0, margin) : raw).toString('utf8');
  }
  text = redactText(text);
  if (Buffer.byteLength(text) > max) {
    const bytes = Buffer.from(text, 'utf8');
    let end = max;
    while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
    text = bytes.subarray(0, end).toString('utf8');
    cut = true;
  }
  return cut ? { body: text, truncated: true } : { body: text };
}

function redactHeaders(h: Record<string, string>): Record<string, string> {
  return redactValue(h) as Record<string, string>;
}

/** A pointer, parameter or detail may echo the caller's input: redacted like the bodies. */
function redactErrors(items: readonly ProblemItem[]): ExchangeRecord['errors'] {
  return items.slice(0, 100).map((e) => {
    const item = e as { pointer?: string; in?: string; parameter?: string; detail: string };
    const out: { pointer?: string; in?: string; parameter?: string; detail: string } = { detail: redactText(String(item.detail)) };
    if (item.pointer !== undefined) out.pointer = redactText(item.pointer);
    if (item.in !== undefined) out.in = item.in;
    if (item.parameter !== undefined) out.parameter = item.parameter;
    return out;
  });
}

function sizeOf(r: ExchangeRecord): number {
  let n = 600 + r.route.length + r.service.length + (r.operation?.length ?? 0) + r.request.body.length + r.response.body.length;
  if (r.backendRequest) n += r.backendRequest.body.length + r.backendRequest.url.length + 200;
  if (r.backendResponse) n += r.backendResponse.body.length;
  if (r.errors) for (const e of r.errors) n += 64 + e.detail.length + (e.pointer?.length ?? 0);
  if (r.error) n += r.error.detail.length;
  return n * 2; // UTF-16 strings in memory
}

export interface ExchangeLimits {
  perOperation: number;
  maxBytes: number;
  maxBodyBytes: number;
}

interface Stored {
  record: ExchangeRecord;
  size: number;
  key: string;
}

export class ExchangeStore {
  /** Every stored exchange by id, oldest first (a Map keeps insertion order). */
  private readonly byId = new Map<string, Stored>();
  /** Ids per service and operation, oldest first. */
  private readonly byOperation = new Map<string, string[]>();
  private bytes = 0;
  private counter = 0;

  constructor(readonly limits: ExchangeLimits) {}

  /** Whether calls are recorded at all (EXCHANGES_PER_OPERATION > 0). */
  get recording(): boolean {
    return this.limits.perOperation > 0 && this.limits.maxBytes > 0;
  }

  get size(): number {
    return this.byId.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** The redacted, cut record of a finished call (stored only when `keep`). */
  finish(rec: Recorder, status: number, durationMs: number, keep = true): ExchangeRecord {
    const max = this.limits.maxBodyBytes;
    const id = `${rec.requestId}-${++this.counter}`;
    const record: ExchangeRecord = {
      id,
      at: rec.at.toISOString(),
      facade: rec.facade,
      service: rec.service,
      operation: rec.operation,
      route: redactText(rec.route),
      requestId: rec.requestId,
      dryRun: rec.dryRun,
      status,
      durationMs: Math.round(durationMs * 100) / 100,
      request: { ...(rec.request?.contentType !== undefined ? { contentType: rec.request.contentType } : {}), ...cutBody(rec.request?.body, max) },
      response: { status: rec.response?.status ?? status, ...(rec.response?.contentType !== undefined ? { contentType: rec.response.contentType } : {}), ...cutBody(rec.response?.body, max) },
    };
    if (rec.principal !== undefined) record.principal = rec.principal;
    if (rec.backendMs !== undefined) record.backendMs = Math.round(rec.backendMs * 100) / 100;
    const bq = rec.backendRequest;
    if (bq) record.backendRequest = { url: redactText(bq.url), method: bq.method, headers: redactHeaders(bq.headers), ...cutBody(bq.body, max) };
    const br = rec.backendResponse;
    if (br) record.backendResponse = { status: br.status, ...(br.contentType !== undefined ? { contentType: br.contentType } : {}), ...cutBody(br.body, max), ms: Math.round(br.ms * 100) / 100 };
    if (rec.errors) record.errors = redactErrors(rec.errors);
    if (rec.error) record.error = { code: rec.error.code, detail: redactText(rec.error.detail) };
    if (keep) this.add(record);
    return record;
  }

  /** Stores a record, evicting the oldest of its operation beyond the per-operation count and the oldest overall beyond the byte budget. */
  add(record: ExchangeRecord): void {
    if (!this.recording) return;
    const size = sizeOf(record);
    if (size > this.limits.maxBytes) return;
    const key = `${record.service}\0${record.operation ?? ''}`;
    let ids = this.byOperation.get(key);
    if (!ids) this.byOperation.set(key, (ids = []));
    ids.push(record.id);
    this.byId.set(record.id, { record, size, key });
    this.bytes += size;
    while (ids.length > this.limits.perOperation) this.remove(ids[0]);
    while (this.bytes > this.limits.maxBytes) {
      const oldest = this.byId.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  private remove(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.byId.delete(id);
    this.bytes -= s.size;
    const ids = this.byOperation.get(s.key);
    if (!ids) return;
    const i = ids.indexOf(id);
    if (i >= 0) ids.splice(i, 1);
    if (ids.length === 0) this.byOperation.delete(s.key);
  }

  get(id: string): ExchangeRecord | undefined {
    return this.byId.get(id)?.record;
  }

  /** Summaries, newest first, optionally of one service and operation. */
  list(filter: { service?: string; operation?: string } = {}): ExchangeSummary[] {
    const out: ExchangeSummary[] = [];
    const all = [...this.byId.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const r = all[i].record;
      if (filter.service !== undefined && r.service !== filter.service) continue;
      if (filter.operation !== undefined && r.operation !== filter.operation) continue;
      out.push({ id: r.id, at: r.at, facade: r.facade, service: r.service, operation: r.operation, route: r.route, status: r.status, durationMs: r.durationMs, dryRun: r.dryRun });
    }
    return out;
  }
}
