/**
 * Prometheus metrics: requests and their latency per service, operation and status, backend
 * latency, validation failures, requests in flight, and the process's own metrics (prom-client).
 * The per-request series are kept in plain counters and bucket arrays on the hot path (a map
 * lookup and a few additions) and handed to prom-client as metrics it formats and, under
 * `--workers N`, sums over the workers (the primary asks each worker for its registry).
 */
import cluster from 'node:cluster';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BackendStatus } from '../transport/http';
import { AggregatorRegistry, Counter, Gauge, Registry, type Metric } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = Record<string, string>;

interface ExportedValue {
  labels: Labels | Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** A histogram (or, with no buckets, a counter) kept as plain numbers per label set. */
class Series {
  private readonly byKey = new Map<string, { labels: Labels; count: number; sum: number; buckets: number[] }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'histogram' | 'counter',
    private readonly bounds: number[] = [],
  ) {}

  add(key: string, labels: () => Labels, value: number): void {
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = { labels: labels(), count: 0, sum: 0, buckets: new Array<number>(this.bounds.length).fill(0) }));
    s.count++;
    s.sum += value;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]) {
        s.buckets[i]++;
        break;
      }
    }
  }

  /** prom-client's metric interface: what the registry formats and the cluster aggregator sums. */
  asMetric(): Metric {
    const get = async (): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExportedValue[] }> => {
      const values: ExportedValue[] = [];
      for (const s of this.byKey.values()) {
        if (this.type === 'counter') {
          values.push({ labels: s.labels, value: s.count });
          continue;
        }
        let cumulative = 0;
        this.bounds.forEach((le, i) => {
          cumulative += s.buckets[i];
          values.push({ labels: { ...s.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
        });
        values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
        values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
        values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
      }
      return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
    };
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', get, reset: () => this.byKey.clear() } as unknown as Metric;
  }
}

/**
 * The process's own metrics, read when scraped. prom-client's collectDefaultMetrics was measured
 * at 5 % of the CPU of a small request (its per-GC observer fires hundreds of times a second
 * under load); these cost nothing between scrapes.
 */
function processMetrics(registry: Registry): void {
  const registers = [registry];
  const started = Date.now() / 1000 - process.uptime();
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  new Counter({
    name: 'soap_bridge_process_cpu_seconds_total',
    help: 'User and system CPU time spent, in seconds',
    registers,
    collect() {
      const u = process.cpuUsage();
      this.reset();
      this.inc((u.user + u.system) / 1e6);
    },
  });
  const memory = (name: string, help: string, pick: (m: NodeJS.MemoryUsage) => number): void => {
    new Gauge({ name, help, registers, collect() {
      this.set(pick(process.memoryUsage()));
    } });
  };
  memory('soap_bridge_process_resident_memory_bytes', 'Resident memory size in bytes', (m) => m.rss);
  memory('soap_bridge_nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes', (m) => m.heapUsed);
  memory('soap_bridge_nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes', (m) => m.heapTotal);
  memory('soap_bridge_nodejs_external_memory_bytes', 'Memory of buffers and other objects outside the V8 heap, in bytes', (m) => m.external);
  new Gauge({
    name: 'soap_bridge_nodejs_eventloop_lag_p99_seconds',
    help: '99th percentile of event loop delay since the last scrape, in seconds',
    registers,
    collect() {
      this.set(lag.percentile(99) / 1e9);
      lag.reset();
    },
  });
  new Gauge({
    name: 'soap_bridge_process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, in seconds',
    registers,
    aggregator: 'omit',
    collect() {
      this.set(started);
    },
  });
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Series('soap_bridge_requests_total', 'Requests answered, by service, operation and HTTP status', 'counter');
  private readonly duration = new Series('soap_bridge_request_duration_seconds', 'Time from request to response', 'histogram', LATENCY_BUCKETS);
  private readonly backend = new Series('soap_bridge_backend_duration_seconds', 'Time spent waiting for the backend', 'histogram', LATENCY_BUCKETS);
  private readonly validation = new Series('soap_bridge_validation_failures_total', 'Messages refused by schema validation: input (callers) or output (backend replies)', 'counter');
  private readonly limited = new Series('soap_bridge_rate_limited_total', 'Requests refused by a rate limit (mapping key rateLimit), by service', 'counter');
  private readonly authFailureSeries = new Series('soap_bridge_auth_failures_total', 'Failed authentications counted against the caller address (mapping key authFailures), by service', 'counter');
  private readonly authBlockedSeries = new Series('soap_bridge_auth_blocked_total', 'Requests refused with 429 because their address had too many failed authentications (mapping key authFailures), by service', 'counter');
  private active = 0;
  private readonly reloads: Counter<'result'>;

  constructor() {
    for (const s of [this.requests, this.duration, this.backend, this.validation, this.limited, this.authFailureSeries, this.authBlockedSeries]) this.registry.registerMetric(s.asMetric());
    const self = this;
    new Gauge({
      name: 'soap_bridge_requests_in_flight',
      help: 'Requests being handled',
      registers: [this.registry],
      collect() {
        this.set(self.active);
      },
    });
    // Under --workers every worker watches and reloads by itself, so a sum would count each
    // reload once per worker: the cluster shows the highest count of any worker instead.
    this.reloads = new Counter({
      name: 'soap_bridge_reloads_total',
      help: 'Bundle folders reloaded after a change: success (new version, or unloaded) or failure (refused; the previous version keeps serving)',
      labelNames: ['result'],
      registers: [this.registry],
      aggregator: 'max',
    });
    for (const result of ['success', 'failure']) this.reloads.inc({ result }, 0);
    processMetrics(this.registry);
    // Under cluster, the primary's aggregator asks each worker for this registry; prom-client
    // installs the worker's answering listener when an AggregatorRegistry is constructed.
    if (cluster.isWorker) {
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  /**
   * Gauges of the backends (read at scrape time): circuit state per origin (0 closed,
   * 1 half-open, 2 open) and calls in flight or waiting per origin.
   */
  watchBackends(status: () => BackendStatus[]): void {
    new Gauge({
      name: 'soap_bridge_backend_circuit_state',
      help: 'Circuit breaker of each backend origin: 0 closed, 1 half-open, 2 open',
      labelNames: ['backend'],
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        this.reset();
        for (const b of status()) if (b.circuit !== 'none') this.set({ backend: b.origin }, b.circuit === 'open' ? 2 : b.circuit === 'half-open' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'soap_bridge_backend_calls_in_flight',
      help: 'Calls to each backend origin in flight or waiting for a connection',
      labelNames: ['backend'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const b of status()) this.set({ backend: b.origin }, b.inFlight);
      },
    });
  }

  started(): void {
    this.active++;
  }

  /** One finished request; unknown service/operation are recorded as "" so labels stay bounded. */
  finished(service: string, operation: string, status: number, seconds: number, backendSeconds: number | undefined): void {
    this.active--;
    const key = `${service}\u0000${operation}\u0000${status}`;
    const labels = (): Labels => ({ service, operation, status: String(status) });
    this.requests.add(key, labels, 1);
    this.duration.add(key, labels, seconds);
    if (backendSeconds !== undefined) this.backend.add(`${service}\u0000${operation}`, () => ({ service, operation }), backendSeconds);
  }

  /** One bundle folder reloaded (hot reload). */
  reloaded(result: 'success' | 'failure'): void {
    this.reloads.inc({ result });
  }

  /** One request refused by a rate limit. */
  rateLimited(service: string): void {
    this.limited.add(service, () => ({ service }), 1);
  }

  /** One failed authentication counted against its address (authFailures). */
  authFailed(service: string): void {
    this.authFailureSeries.add(service, () => ({ service }), 1);
  }

  /** One request refused because its address is blocked (authFailures). */
  authBlocked(service: string): void {
    this.authBlockedSeries.add(service, () => ({ service }), 1);
  }

  validationFailed(service: string, operation: string, direction: 'input' | 'output'): void {
    this.validation.add(`${service}\u0000${operation}\u0000${direction}`, () => ({ service, operation, direction }), 1);
  }

  /** The exposition text: this process's metrics, or under cluster those of every worker. */
  async text(): Promise<{ contentType: string; body: string }> {
    if (cluster.isWorker && process.send) return { contentType: this.registry.contentType, body: await askPrimary() };
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

const METRICS_REQUEST = 'soap-bridge:metrics?';
const METRICS_REPLY = 'soap-bridge:metrics=';
let nextId = 0;

/** In a worker: asks the primary for the cluster-wide metrics (bounded wait). */
function askPrimary(): Promise<string> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer the metrics request within 5 s'));
    }, 5000);
    const onMessage = (m: unknown): void => {
      const msg = m as { type?: string; id?: number; body?: string; error?: string };
      if (msg?.type !== METRICS_REPLY || msg.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (msg.error) reject(new Error(msg.error));
      else resolve(msg.body ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, id });
  });
}

/** In the primary: answers workers' metrics requests with the aggregate of all workers. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: unknown) => {
    const msg = m as { type?: string; id?: number };
    if (msg?.type !== METRICS_REQUEST) return;
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: METRICS_REPLY, id: msg.id, body }),
      (e: Error) => worker.send({ type: METRICS_REPLY, id: msg.id, error: e.message }),
    );
  });
}
