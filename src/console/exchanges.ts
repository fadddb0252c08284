/**
 * Recent exchanges: what calls through either facade looked like, stage by stage, for the web
 * console (docs/console.md). A Recorder rides in the call context and keeps references to the
 * strings and buffers the pipeline made anyway (no copies on the request path); when the call is
 * done the store keeps what can be shown of each body, and redacts (log/redact.ts) and cuts it at
 * EXCHANGE_MAX_BODY_BYTES when the record is first read, so a record never leaves unredacted.
 * The store keeps the last N per service and operation and a global byte budget, oldest evicted
 * first; in memory only.
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
  const margin = max + REDACT_MARGIN;
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

/** An error's detail redacted and cut at `max` bytes like a body (a cut one ends with " […]"). */
function cutDetail(detail: string, max: number): string {
  const c = cutBody(detail, max);
  return c.truncated ? `${c.body} […]` : c.body;
}

/** A pointer, parameter or detail may echo the caller's input: redacted like the bodies. */
function redactErrors(items: readonly ProblemItem[], max: number): ExchangeRecord['errors'] {
  return items.slice(0, 100).map((e) => {
    const item = e as { pointer?: string; in?: string; parameter?: string; detail: string };
    const out: { pointer?: string; in?: string; parameter?: string; detail: string } = { detail: cutDetail(String(item.detail), max) };
    if (item.pointer !== undefined) out.pointer = redactText(item.pointer);
    if (item.in !== undefined) out.in = item.in;
    if (item.parameter !== undefined) out.parameter = item.parameter;
    return out;
  });
}

export interface ExchangeLimits {
  perOperation: number;
  maxBytes: number;
  maxBodyBytes: number;
}

/**
 * A recorded call as captured: bodies cut to what can be kept (references to the pipeline's own
 * strings and buffers when small, copies of their beginning when large, so a 10 MB body is never
 * held), not yet redacted. Redacting costs more than recording (a regular-expression pass over
 * every body), and most exchanges are never looked at, so the redacted record is built on first
 * read and kept; raw bodies are dropped then. Nothing leaves this module unredacted.
 */
class Captured {
  private built?: ExchangeRecord;
  /** Bodies cut when captured (what is kept of them is the beginning only). */
  private readonly cut = new Set<Part>();
  readonly summary: ExchangeSummary;
  readonly size: number;

  constructor(
    private rec: Recorder | undefined,
    readonly key: string,
    id: string,
    status: number,
    durationMs: number,
    private readonly maxBodyBytes: number,
  ) {
    const r = rec!;
    // Only the summary's route can hold a secret (a query's api_key=…): redacted now, it is short.
    this.summary = { id, at: r.at.toISOString(), facade: r.facade, service: r.service, operation: r.operation, route: redactText(r.route), status, durationMs: Math.round(durationMs * 100) / 100, dryRun: r.dryRun };
    const margin = maxBodyBytes + REDACT_MARGIN;
    let size = 600 + this.summary.route.length + r.service.length;
    const keep = (part: Part, b: { body: Raw } | undefined): void => {
      if (!b || b.body === undefined) return;
      if (b.body.length > margin) {
        // A copy: a view (subarray, a sliced string) would keep the whole body alive.
        b.body = typeof b.body === 'string' ? Buffer.from(b.body.slice(0, margin), 'utf8') : Buffer.from(b.body.subarray(0, margin));
        this.cut.add(part);
      } else if (typeof b.body !== 'string' && b.body.buffer.byteLength > 16384 && b.body.buffer.byteLength > 2 * b.body.length) {
        // A small view of a large read buffer (a socket chunk) would keep all of it alive.
        b.body = Buffer.from(b.body);
      }
      size += typeof b.body === 'string' ? b.body.length * 2 : b.body.length;
    };
    keep('request', r.request);
    keep('backendRequest', r.backendRequest);
    keep('backendResponse', r.backendResponse);
    keep('response', r.response);
    // An error's detail may quote the backend (a JSON service's problem detail, a Fault string):
    // as long as a body, so kept and counted like one.
    const short = (text: string): string => (text.length > margin ? text.slice(0, margin) : text);
    if (r.error) {
      r.error = { code: r.error.code, detail: short(r.error.detail) };
      size += r.error.detail.length * 2;
    }
    if (r.errors) {
      r.errors = r.errors.slice(0, 100).map((e) => (String(e.detail).length > margin ? { ...e, detail: short(String(e.detail)) } : e));
      for (const e of r.errors) size += 100 + String(e.detail).length * 2;
    }
    this.size = size;
  }

  record(): ExchangeRecord {
    if (this.built) return this.built;
    const rec = this.rec!;
    const max = this.maxBodyBytes;
    const s = this.summary;
    const body = (part: Part, raw: Raw): { body: string; truncated?: true } => {
      const b = cutBody(raw, max);
      return this.cut.has(part) ? { body: b.body, truncated: true } : b;
    };
    const record: ExchangeRecord = {
      id: s.id,
      at: s.at,
      facade: s.facade,
      service: s.service,
      operation: s.operation,
      route: s.route,
      requestId: rec.requestId,
      dryRun: s.dryRun,
      status: s.status,
      durationMs: s.durationMs,
      request: { ...(rec.request?.contentType !== undefined ? { contentType: rec.request.contentType } : {}), ...body('request', rec.request?.body) },
      response: { status: rec.response?.status ?? s.status, ...(rec.response?.contentType !== undefined ? { contentType: rec.response.contentType } : {}), ...body('response', rec.response?.body) },
    };
    if (rec.principal !== undefined) record.principal = rec.principal;
    if (rec.backendMs !== undefined) record.backendMs = Math.round(rec.backendMs * 100) / 100;
    const bq = rec.backendRequest;
    if (bq) record.backendRequest = { url: redactText(bq.url), method: bq.method, headers: redactHeaders(bq.headers), ...body('backendRequest', bq.body) };
    const br = rec.backendResponse;
    if (br) record.backendResponse = { status: br.status, ...(br.contentType !== undefined ? { contentType: br.contentType } : {}), ...body('backendResponse', br.body), ms: Math.round(br.ms * 100) / 100 };
    if (rec.errors) record.errors = redactErrors(rec.errors, max);
    if (rec.error) record.error = { code: rec.error.code, detail: cutDetail(rec.error.detail, max) };
    this.built = record;
    this.rec = undefined;
    return record;
  }
}

/** Redaction looks this far past the cut, so that what it shortens still fills the kept part. */
const REDACT_MARGIN = 4096;

type Part = 'request' | 'backendRequest' | 'backendResponse' | 'response';

export class ExchangeStore {
  /** Every stored exchange by id, oldest first (a Map keeps insertion order). */
  private readonly byId = new Map<string, Captured>();
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

  private capture(rec: Recorder, status: number, durationMs: number): Captured {
    return new Captured(rec, `${rec.service}\0${rec.operation ?? ''}`, `${rec.requestId}-${++this.counter}`, status, durationMs, this.limits.maxBodyBytes);
  }

  /** Stores a finished call (the request path's hook: no redaction here, see Captured). */
  record(rec: Recorder, status: number, durationMs: number): void {
    if (this.recording) this.add(this.capture(rec, status, durationMs));
  }

  /** The redacted, cut record of a finished call, stored too when `keep` and recording. */
  finish(rec: Recorder, status: number, durationMs: number, keep = true): ExchangeRecord {
    const c = this.capture(rec, status, durationMs);
    if (keep && this.recording) this.add(c);
    return c.record();
  }

  /** Evicts the oldest of the operation beyond the per-operation count, and the oldest overall beyond the byte budget. */
  private add(c: Captured): void {
    if (c.size > this.limits.maxBytes) return;
    const id = c.summary.id;
    let ids = this.byOperation.get(c.key);
    if (!ids) this.byOperation.set(c.key, (ids = []));
    ids.push(id);
    this.byId.set(id, c);
    this.bytes += c.size;
    while (ids.length > this.limits.perOperation) this.remove(ids[0]);
    while (this.bytes > this.limits.maxBytes) {
      const oldest = this.byId.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  private remove(id: string): void {
    const c = this.byId.get(id);
    if (!c) return;
    this.byId.delete(id);
    this.bytes -= c.size;
    const ids = this.byOperation.get(c.key);
    if (!ids) return;
    const i = ids.indexOf(id);
    if (i >= 0) ids.splice(i, 1);
    if (ids.length === 0) this.byOperation.delete(c.key);
  }

  /** The whole record (redacted on first read). */
  get(id: string): ExchangeRecord | undefined {
    return this.byId.get(id)?.record();
  }

  /** Summaries, newest first, optionally of one service and operation. */
  list(filter: { service?: string; operation?: string } = {}): ExchangeSummary[] {
    const out: ExchangeSummary[] = [];
    const all = [...this.byId.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const r = all[i].summary;
      if (filter.service !== undefined && r.service !== filter.service) continue;
      if (filter.operation !== undefined && r.operation !== filter.operation) continue;
      out.push(r);
    }
    return out;
  }
}
