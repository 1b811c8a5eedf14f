/**
 * Process metrics in the Prometheus text format (prom-client), served at `/metrics` by every role. One `Metrics` per
 * process: the runtime makes it and hands it to the store, the LLM gateway, the web kit and the products, which record
 * into the named instruments below. Values that are cheaper to read than to track (queue depth) are sampled on each
 * scrape by the collectors registered with `onCollect`.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

type Collector = () => Promise<void> | void;

export interface MetricsOptions {
  /** prom-client's process metrics (`koivulahti_process_*`, `koivulahti_nodejs_*`: CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ role: 'worker' }`. */
  labels?: Record<string, string>;
  /** How long one collector may take before the scrape goes on without it; default 2 s. */
  collectTimeoutMs?: number;
}

const defaultCollectTimeoutMs = 2_000;

export class Metrics {
  readonly registry = new Registry();
  private readonly collectors = new Set<Collector>();

  readonly eventsAppended = new Counter({
    name: 'koivulahti_events_appended_total',
    help: 'Events appended to the log, by stream category',
    labelNames: ['category'] as const,
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'koivulahti_llm_calls_total',
    help: 'Gateway calls by alias, operation and outcome (ok, cache_hit, fallback, failed)',
    labelNames: ['alias', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'koivulahti_llm_tokens_total',
    help: 'Tokens by alias and direction (input, output); cache hits count none',
    labelNames: ['alias', 'direction'] as const,
    registers: [this.registry],
  });

  readonly llmLatency = new Histogram({
    name: 'koivulahti_llm_latency_seconds',
    help: 'Gateway call latency by alias and operation (cache hits included)',
    labelNames: ['alias', 'operation'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly sseClients = new Gauge({
    name: 'koivulahti_sse_clients',
    help: 'Open server-sent event streams',
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'koivulahti_queue_depth',
    help: 'Jobs per queue and state (ready, leased, dead), sampled at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'koivulahti_job_duration_seconds',
    help: 'Time from lease to ack or nack, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });

  readonly engineTickLag = new Gauge({
    name: 'koivulahti_engine_tick_lag_seconds',
    help: 'How far the engine is behind the wall-clock pace of the world it owns (0 when keeping up)',
    labelNames: ['world'] as const,
    registers: [this.registry],
  });

  readonly engineTicks = new Counter({
    name: 'koivulahti_engine_ticks_total',
    help: 'Ticks advanced by this process, by world',
    labelNames: ['world'] as const,
    registers: [this.registry],
  });

  readonly worldLeases = new Gauge({
    name: 'koivulahti_world_lease_held',
    help: '1 while this process holds the engine lease of the world',
    labelNames: ['world'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'koivulahti_http_requests_total',
    help: 'HTTP requests answered, by method, route template (unmatched for unknown paths) and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });

  readonly httpRequestDuration = new Histogram({
    name: 'koivulahti_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its response, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  /** A failed collector leaves its series at the last sampled value; this counter is how a dashboard notices. */
  readonly collectorFailures = new Counter({
    name: 'koivulahti_metrics_collector_failures_total',
    help: 'Collectors that threw or timed out during a scrape',
    registers: [this.registry],
  });

  private readonly collectTimeoutMs: number;

  constructor(options: MetricsOptions = {}) {
    this.collectTimeoutMs = options.collectTimeoutMs ?? defaultCollectTimeoutMs;
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    // Each call makes its own instruments in this registry (never the global one), so instances do not clash.
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: 'koivulahti_' });
      // prom-client adds three gauges named `..._total` (sums of `koivulahti_nodejs_active_handles` and friends, which
      // it also exports by type); the exposition format keeps that suffix for counters, so they are dropped.
      for (const name of ['active_handles', 'active_requests', 'active_resources'])
        this.registry.removeSingleMetric(`koivulahti_nodejs_${name}_total`);
    }
  }

  /** Counts one answered HTTP request. `route` is the route template (`/chats/:id`), never the raw path. */
  observeHttpRequest(labels: { method: string; route: string; status_code: number }, seconds: number): void {
    const values = { method: labels.method, route: labels.route, status_code: String(labels.status_code) };
    this.httpRequests.inc(values);
    this.httpRequestDuration.observe(values, seconds);
  }

  /** Runs `collector` before every scrape (until the returned function is called). */
  onCollect(collector: Collector): () => void {
    this.collectors.add(collector);
    return () => {
      this.collectors.delete(collector);
    };
  }

  /** Samples a job queue's depth on every scrape. */
  watchQueue(queue: string, source: { depth(queue: string): Promise<{ ready: number; leased: number; dead: number }> }): () => void {
    return this.onCollect(async () => {
      const depth = await source.depth(queue);
      this.queueDepth.set({ queue, state: 'ready' }, depth.ready);
      this.queueDepth.set({ queue, state: 'leased' }, depth.leased);
      this.queueDepth.set({ queue, state: 'dead' }, depth.dead);
    });
  }

  /** Starts a job timer; call the result with the outcome when the job is settled. */
  timeJob(queue: string): (outcome: string) => void {
    const end = this.jobDuration.startTimer({ queue });
    return (outcome) => {
      end({ outcome });
    };
  }

  /** The exposition text; a failing or hanging collector is skipped so one broken source does not hide the rest. */
  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.all([...this.collectors].map((collector) => this.runCollector(collector)));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async runCollector(collector: Collector): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('collector timed out')), this.collectTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.resolve().then(collector), timeout]);
    } catch {
      this.collectorFailures.inc();
    } finally {
      clearTimeout(timer);
    }
  }
}
