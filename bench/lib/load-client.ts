/**
 * The load generator of the HTTP benchmarks, in its own process (forked by `runLoad` in load.ts), so the client never
 * shares an event loop or a GC with the server it measures. It receives one `LoadPlan` over IPC, sends on an open-loop
 * schedule (every request at its due time, whether or not earlier ones have answered), times each request from its
 * due time (coordinated omission corrected), and answers with the samples.
 */
import { performance } from 'node:perf_hooks';
import { keepAliveAgent, openLoop, timedRequest } from './http.js';
import type { LoadPlan, LoadReport, LoadSample } from './load.js';
import { watchPauses } from './measure.js';

async function drive(plan: LoadPlan): Promise<LoadReport> {
  const agent = keepAliveAgent();
  const samples: Record<string, LoadSample[]> = Object.fromEntries(plan.targets.map((target) => [target.name, []]));
  const followUps: Promise<void>[] = [];
  let followed = 0;
  const followUp = async (decisionId: string, index: number) => {
    const steps = plan.followUp?.steps ?? [];
    for (const step of steps) {
      const response = await timedRequest(agent, `${plan.baseUrl}${step.path.replace(':id', decisionId)}`, {
        method: step.method,
        ...(step.bodies ? { body: step.bodies[index % step.bodies.length] } : {}),
      });
      if (response.status >= 300) return;
    }
    followed++;
  };
  const watch = watchPauses();
  const load = await openLoop(plan.perSecond, plan.count, async (index, due) => {
    await Promise.all(
      plan.targets.map(async (target) => {
        const path = target.paths[index % target.paths.length] as string;
        const response = await timedRequest(agent, `${plan.baseUrl}${path}`, {
          method: target.method ?? 'GET',
          ...(target.headers ? { headers: target.headers } : {}),
        });
        const ms = performance.now() - due;
        let tag: string | undefined;
        if (target.tagField !== undefined && response.status === 200) {
          const body = JSON.parse(response.body) as Record<string, unknown>;
          tag = String(body[target.tagField] ?? 'none');
          const decision = body.decision as { decisionId?: string; shownAt?: number } | undefined;
          if (
            plan.followUp &&
            index % plan.followUp.every === plan.followUp.every - 1 &&
            decision?.decisionId &&
            decision.shownAt === undefined
          )
            followUps.push(followUp(decision.decisionId, index).catch(() => undefined));
        }
        samples[target.name]?.push({ ms, status: response.status, bytes: response.body.length, ...(tag === undefined ? {} : { tag }) });
      }),
    );
  });
  await Promise.all(followUps);
  const pauses = watch.stop();
  agent.destroy();
  return { samples, seconds: load.seconds, lateP99Ms: load.lateP99Ms, followedUp: followed, clientPauses: pauses };
}

process.on('message', (message: { type?: string; plan?: LoadPlan }) => {
  if (message.type !== 'run' || message.plan === undefined) return;
  drive(message.plan).then(
    (report) => process.send?.({ type: 'report', report }),
    (error: unknown) => process.send?.({ type: 'error', message: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
