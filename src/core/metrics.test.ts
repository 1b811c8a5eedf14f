import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('given recorded values, when rendering, then the exposition text holds the named series with their labels', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.eventsAppended.inc({ category: 'chat' }, 3);
    metrics.llmCalls.inc({ alias: 'writer', operation: 'object', outcome: 'ok' });
    metrics.llmTokens.inc({ alias: 'writer', direction: 'input' }, 120);
    metrics.llmLatency.observe({ alias: 'writer', operation: 'object' }, 0.3);
    metrics.sseClients.set(2);
    metrics.engineTicks.inc({ world: 'koivulahti' });
    metrics.timeJob('render')('ack');

    const { contentType, body } = await metrics.render();

    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('koivulahti_events_appended_total{category="chat"} 3');
    expect(body).toContain('koivulahti_llm_calls_total{alias="writer",operation="object",outcome="ok"} 1');
    expect(body).toContain('koivulahti_llm_tokens_total{alias="writer",direction="input"} 120');
    expect(body).toContain('koivulahti_llm_latency_seconds_count{alias="writer",operation="object"} 1');
    expect(body).toContain('koivulahti_sse_clients 2');
    expect(body).toContain('koivulahti_engine_ticks_total{world="koivulahti"} 1');
    expect(body).toContain('koivulahti_job_duration_seconds_count{queue="render",outcome="ack"} 1');
  });

  it('given default labels, when rendering, then every series carries them', async () => {
    const metrics = new Metrics({ defaultMetrics: false, labels: { role: 'worker' } });
    metrics.sseClients.set(1);
    expect((await metrics.render()).body).toContain('koivulahti_sse_clients{role="worker"} 1');
  });

  it('given a collector that throws and one that hangs, when rendering, then the scrape still succeeds with the other series', async () => {
    const metrics = new Metrics({ defaultMetrics: false, collectTimeoutMs: 50 });
    metrics.onCollect(() => {
      throw new Error('queue unreachable');
    });
    metrics.onCollect(() => new Promise<void>(() => undefined));
    metrics.onCollect(async () => {
      metrics.sseClients.set(4);
    });

    const { body } = await metrics.render();

    expect(body).toContain('koivulahti_sse_clients 4');
    expect(body).toContain('koivulahti_metrics_collector_failures_total 2');
  });

  it('given a watched queue, when rendering twice, then each scrape samples its current depth per state', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let depth = { ready: 5, leased: 1, dead: 0 };
    const asked: string[] = [];
    const queue = {
      async depth(name: string) {
        asked.push(name);
        return depth;
      },
    };
    metrics.watchQueue('render', queue);

    const first = (await metrics.render()).body;
    expect(first).toContain('koivulahti_queue_depth{queue="render",state="ready"} 5');
    expect(first).toContain('koivulahti_queue_depth{queue="render",state="leased"} 1');
    expect(first).toContain('koivulahti_queue_depth{queue="render",state="dead"} 0');

    depth = { ready: 0, leased: 2, dead: 3 };
    const second = (await metrics.render()).body;
    expect(second).toContain('koivulahti_queue_depth{queue="render",state="ready"} 0');
    expect(second).toContain('koivulahti_queue_depth{queue="render",state="dead"} 3');
    expect(asked).toEqual(['render', 'render']);
  });

  it('given an unwatched collector, when rendering, then it is no longer run', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    let runs = 0;
    const stop = metrics.onCollect(() => {
      runs++;
    });
    await metrics.render();
    stop();
    await metrics.render();
    expect(runs).toBe(1);
  });

  it('given two instances with default process metrics in one process, then neither throws and their series stay apart', async () => {
    const first = new Metrics();
    const second = new Metrics();
    first.eventsAppended.inc({ category: 'world' });

    const [firstBody, secondBody] = [(await first.render()).body, (await second.render()).body];

    expect(first.registry).not.toBe(second.registry);
    expect(firstBody).toContain('koivulahti_process_cpu_seconds_total');
    expect(secondBody).toContain('koivulahti_nodejs_eventloop_lag_seconds');
    expect(firstBody).toContain('koivulahti_events_appended_total{category="world"} 1');
    expect(secondBody).not.toContain('koivulahti_events_appended_total{category="world"}');
  });
});
