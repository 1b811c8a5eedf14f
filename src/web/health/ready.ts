/**
 * `GET /ready`: readiness for orchestrators (a Kubernetes readinessProbe). Every check runs in parallel with its own
 * time limit; all pass: 200 `ready`; any fails: 503 `not_ready` with a `reason` naming each failing check. `/health`
 * stays the liveness probe: it answers while the process runs, whatever its dependencies do.
 *
 * The composition root supplies the checks (database, messaging, migrations, start-up, leases); the web layer only runs
 * them. A check never throws out of here: a rejection or a timeout is a failed check with the error's message.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface CheckResult {
  ok: boolean;
  /** Why it failed (or a short note when it passed). */
  reason?: string;
  /** Facts an operator may want (held leases, pending migrations). */
  detail?: Record<string, unknown>;
}

export interface ReadinessCheck {
  name: string;
  check(): Promise<CheckResult>;
}

const checkSchema = z.object({
  ok: z.boolean(),
  reason: z.string().optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  reason: z.string().optional().describe('Each failing check as `name: why`, joined by `; `.'),
  checks: z.record(z.string(), checkSchema),
});

export type Readiness = z.infer<typeof readinessSchema>;

export const defaultCheckTimeoutMs = 3_000;

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      check.check().catch((error: unknown) => ({ ok: false, reason: error instanceof Error ? error.message : String(error) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function evaluateReadiness(checks: readonly ReadinessCheck[], timeoutMs = defaultCheckTimeoutMs): Promise<Readiness> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await runCheck(check, timeoutMs)] as const));
  const failing = results.filter(([, result]) => !result.ok);
  const readiness: Readiness = { status: failing.length === 0 ? 'ready' : 'not_ready', checks: Object.fromEntries(results) };
  if (failing.length > 0) readiness.reason = failing.map(([name, result]) => `${name}: ${result.reason ?? 'failed'}`).join('; ');
  return readiness;
}

export function readyRoutes(checks: readonly ReadinessCheck[], timeoutMs = defaultCheckTimeoutMs): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/ready',
      {
        schema: {
          summary: 'Readiness: database, messaging, migrations, start-up and leases',
          description: 'For a readinessProbe. 503 while any dependency is unavailable or start-up has not finished; `reason` says which.',
          tags: ['system'],
          response: { 200: readinessSchema, 503: readinessSchema },
        },
        config: { access: 'public' },
      },
      async (_request, reply) => {
        const readiness = await evaluateReadiness(checks, timeoutMs);
        return reply
          .code(readiness.status === 'ready' ? 200 : 503)
          .header('cache-control', 'no-store')
          .send(readiness);
      },
    );
  };
}
