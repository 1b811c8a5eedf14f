/** Decisions: the next tip, shown and reaction marks, the decision log (page and API) and re-derivation. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../../web/jsx/render.js';
import { reactions, type TipsService } from '../../services/index.js';
import { DecisionLogPage } from '../pages/decision-log-page.js';
import { publicDecision } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

const tags = ['tips'];
const decisionParams = z.object({ id: z.string().min(1).max(120) });
const flag = z.enum(['true', 'false']).default('false');

/** A logged decision against its re-derivation: the same choice means the log is faithful. */
function verification({ decision, rederived }: Awaited<ReturnType<TipsService['verify']>>) {
  return {
    decisionId: decision.decisionId,
    policyVersion: decision.policyVersion,
    logged: { chosenIndex: decision.chosenIndex, propensities: decision.candidates.map((candidate) => candidate.propensity) },
    rederived,
    same: rederived.chosenIndex === decision.chosenIndex,
  };
}

export function decisionRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/tips/decisions',
      { schema: { hide: true, querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) } },
      async (request, reply) => {
        const { rows, timeZone } = await serviceFor(request).decisionLogRows(request.query.limit);
        return sendPage(reply, <DecisionLogPage rows={rows} timeZone={timeZone} />);
      },
    );

    app.get(
      '/api/tips/next',
      {
        schema: {
          tags,
          summary: 'The open tip or a new decision; `show=true` marks it shown (otherwise POST .../shown when it is displayed)',
          querystring: z.object({ show: flag, ask: flag }),
        },
      },
      async (request) => {
        const next = await serviceFor(request).next({ show: request.query.show === 'true', ask: request.query.ask === 'true' });
        if (next.status === 'quiet') return { status: 'quiet', reason: next.reason };
        return { status: 'tip', fresh: next.fresh, decision: publicDecision(next.decision) };
      },
    );

    app.post(
      '/api/tips/decisions/:id/shown',
      { schema: { tags, summary: 'Mark a decision shown (deferred activation)', params: decisionParams } },
      async (request) => ({ decision: publicDecision(await serviceFor(request).markShown(request.params.id)) }),
    );

    app.post(
      '/api/tips/decisions/:id/reaction',
      {
        schema: {
          tags,
          summary: 'React to a shown tip: done, helpful, not_now or dismiss (the reward comes from [tips] config)',
          params: decisionParams,
          body: z.object({ reaction: z.enum(reactions) }),
        },
      },
      async (request) => ({ decision: publicDecision(await serviceFor(request).react(request.params.id, request.body.reaction)) }),
    );

    app.get(
      '/api/tips/decisions',
      {
        schema: {
          tags,
          summary: 'The decision log: context, candidates with scores and propensities, the chosen one, the policy version, newest first',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), before: z.coerce.number().int().optional() }),
        },
      },
      async (request) => ({
        decisions: await serviceFor(request).decisionLog({ limit: request.query.limit, before: request.query.before }),
      }),
    );

    app.get(
      '/api/tips/decisions/:id/verify',
      {
        schema: {
          tags,
          summary: 'Re-derive a logged decision from its id, its context and the model at its policy version',
          params: decisionParams,
        },
      },
      async (request) => verification(await serviceFor(request).verify(request.params.id)),
    );
  };
}
