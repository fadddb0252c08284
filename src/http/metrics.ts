/**
 * Prometheus metrics (prom-client): requests and their latency per service, operation and
 * status, backend latency, validation failures, requests in flight, and the process's own
 * metrics. Under `--workers N` each worker keeps its registry and `/metrics` answers the sum
 * over all workers, gathered by the primary (prom-client's AggregatorRegistry).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'service' | 'operation' | 'status'>;
  private readonly duration: Histogram<'service' | 'operation' | 'status'>;
  private readonly backend: Histogram<'service' | 'operation'>;
  private readonly validation: Counter<'service' | 'operation' | 'direction'>;
  private readonly inFlight: Gauge;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'soap_bridge_requests_total', help: 'Requests answered, by service, operation and HTTP status', labelNames: ['service', 'operation', 'status'], registers });
    this.duration = new Histogram({ name: 'soap_bridge_request_duration_seconds', help: 'Time from request to response', labelNames: ['service', 'operation', 'status'], buckets: LATENCY_BUCKETS, registers });
    this.backend = new Histogram({ name: 'soap_bridge_backend_duration_seconds', help: 'Time spent waiting for the backend', labelNames: ['service', 'operation'], buckets: LATENCY_BUCKETS, registers });
    this.validation = new Counter({ name: 'soap_bridge_validation_failures_total', help: 'Messages refused by schema validation: input (callers) or output (backend replies)', labelNames: ['service', 'operation', 'direction'], registers });
    this.inFlight = new Gauge({ name: 'soap_bridge_requests_in_flight', help: 'Requests being handled', registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'soap_bridge_' });
    // Under cluster, the primary's aggregator asks each worker for this registry; prom-client
    // installs the worker's answering listener when an AggregatorRegistry is constructed.
    if (cluster.isWorker) {
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([this.registry]);
    }
  }

  started(): void {
    this.inFlight.inc();
  }

  /** One finished request; unknown service/operation are recorded as "" so labels stay bounded. */
  finished(service: string, operation: string, status: number, seconds: number, backendSeconds: number | undefined): void {
    this.inFlight.dec();
    const labels = { service, operation, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
    if (backendSeconds !== undefined) this.backend.observe({ service, operation }, backendSeconds);
  }

  validationFailed(service: string, operation: string, direction: 'input' | 'output'): void {
    this.validation.inc({ service, operation, direction });
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
