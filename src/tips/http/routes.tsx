/**
 * Routes of the tips product: the one-tip page `/tips`, the signal entry page `/tips/signals` with its form posts,
 * the manifest and stylesheet, and the JSON API under `/api/tips/...`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { z } from 'zod';
import { isAppError, ValidationError } from '../../core/errors.js';
import { sendPage } from '../../web/jsx/render.js';
import { consentPurposes, reactions, type SignalInput, signalInputSchema } from '../domain/events.js';
import { runnerUp } from '../domain/policy.js';
import { type PolicyName, policyNames, shadowAgreement } from '../domain/shadow.js';
import type { TipsState, TrackedDecision } from '../domain/state.js';
import { clockText, isValidTimeZone, localTime, zonedTimeToEpoch } from '../domain/time.js';
import type { NextResult, TipsService } from '../service.js';
import { tipsCss, tipsIcon, tipsManifest } from './assets.js';
import { DecisionLogPage, type Receipt, SignalsPage, TipCard, TipPage, type TipView } from './pages.js';

const hidden = { schema: { hide: true } };

function describeSignal(state: TipsState, signalId: string, timeZone: string): string | undefined {
  for (const task of state.tasks.values())
    if (task.signalId === signalId)
      return `Task "${task.title}"${task.dueAt ? `, due ${localTime(task.dueAt, timeZone).date} ${clockText(task.dueAt, timeZone)}` : ''}, priority ${task.priority}`;
  for (const habit of state.habits.values()) if (habit.signalId === signalId) return `Habit "${habit.name}"`;
  for (const entry of state.calendar.values())
    if (entry.signalId === signalId) return `Calendar "${entry.title || 'busy'}" at ${clockText(entry.start, timeZone)}`;
  for (const mood of state.moods) if (mood.signalId === signalId) return `Mood ${mood.score}/5${mood.note ? ` ("${mood.note}")` : ''}`;
  return undefined;
}

function receiptOf(state: TipsState, decision: TrackedDecision, timeZone: string): Receipt {
  const chosen = decision.candidates[decision.chosenIndex];
  return {
    signals: (chosen?.sourceSignalIds ?? []).map((id) => describeSignal(state, id, timeZone) ?? id),
    runnerUp: runnerUp(decision),
    rule: chosen?.rule ?? '',
    rationale: chosen?.rationale ?? '',
  };
}

/** The service of a request's user: one service in single-user mode, the session's user's in account mode. */
export type TipsServiceFor = (request: FastifyRequest) => TipsService;

export function tipRoutes(source: TipsService | TipsServiceFor, options: { accounts?: FastifyPluginAsyncZod } = {}): FastifyPluginAsyncZod {
  const forRequest: TipsServiceFor = typeof source === 'function' ? source : () => source;
  return async (app) => {
    if (options.accounts) await options.accounts(app, {});
    // Scoped to this plugin: iCalendar bodies for the import API (HTML forms are parsed by the web kit).
    app.addContentTypeParser('text/calendar', { parseAs: 'string' }, (_request, body, done) => done(null, String(body)));

    const view = async (service: TipsService, next: NextResult): Promise<TipView> => {
      const state = await service.load();
      const timeZone = service.timeZone(state);
      if (next.status === 'quiet')
        return {
          status: 'quiet',
          reason: next.reason,
          until:
            service.gateSettings.quietEnd === service.gateSettings.quietStart ? 'tomorrow' : formatMinutes(service.gateSettings.quietEnd),
        };
      return { status: 'tip', decision: next.decision, receipt: receiptOf(state, next.decision, timeZone) };
    };

    const nowText = async (service: TipsService) => {
      const state = await service.load();
      return clockText(service.now(), service.timeZone(state));
    };

    // ---------- pages ----------

    app.get('/tips', { schema: { hide: true, querystring: z.object({ ask: z.string().optional() }) } }, async (request, reply) => {
      const service = forRequest(request);
      const next = await service.next({ show: true, ask: request.query.ask === '1' });
      return sendPage(reply, <TipPage view={await view(service, next)} now={await nowText(service)} />);
    });

    app.post(
      '/tips/decisions/:id/reaction',
      {
        schema: {
          hide: true,
          params: z.object({ id: z.string().min(1).max(120) }),
          body: z.object({ reaction: z.enum([...reactions, 'ask']) }),
        },
      },
      async (request, reply) => {
        const service = forRequest(request);
        const ask = request.body.reaction === 'ask';
        try {
          await service.react(request.params.id, ask ? 'dismiss' : (request.body.reaction as (typeof reactions)[number]));
        } catch (error) {
          // Another tab reacted first: the page just moves on to the next tip.
          if (!(isAppError(error) && error.code === 'duplicate')) throw error;
        }
        if (request.headers['hx-request'] !== 'true') return reply.redirect(ask ? '/tips?ask=1' : '/tips', 303);
        const next = await service.next({ show: true, ask });
        return sendFragment(reply, <TipCard view={await view(service, next)} />);
      },
    );

    app.get(
      '/tips/signals',
      { schema: { hide: true, querystring: z.object({ ok: z.string().max(200).optional(), error: z.string().max(400).optional() }) } },
      async (request, reply) => {
        const service = forRequest(request);
        const state = await service.load();
        const notice = request.query.error
          ? { kind: 'error' as const, text: request.query.error }
          : request.query.ok
            ? { kind: 'ok' as const, text: request.query.ok }
            : undefined;
        return sendPage(
          reply,
          <SignalsPage
            notice={notice}
            timeZone={service.timeZone(state)}
            counts={{
              tasks: state.tasks.size,
              habits: state.habits.size,
              calendar: state.calendar.size,
              moods: state.moods.length,
              decisions: state.decisionOrder.length,
            }}
            habits={[...state.habits.values()].map((habit) => ({ habitId: habit.habitId, name: habit.name }))}
            consents={await service.consents()}
            noticeVersion={service.noticeVersion}
            todoist={{ oauth: service.todoistOAuth.clientId !== '', connected: state.integrations.has('todoist') }}
            userId={service.userId}
          />,
        );
      },
    );

    app.post('/tips/signals', { schema: { hide: true, body: z.record(z.string(), z.string()) } }, async (request, reply) => {
      const service = forRequest(request);
      const state = await service.load();
      try {
        const input = signalFromForm(request.body, service.timeZone(state), service.now());
        await service.recordSignals([input]);
        return reply.redirect(`/tips/signals?ok=${encodeURIComponent(`Added a ${input.kind.replace('_', '-')} signal.`)}`, 303);
      } catch (error) {
        return reply.redirect(`/tips/signals?error=${encodeURIComponent((error as Error).message.slice(0, 300))}`, 303);
      }
    });

    app.post('/tips/import/ics', { schema: { hide: true, body: z.object({ ics: z.string().min(1) }) } }, async (request, reply) => {
      const service = forRequest(request);
      try {
        const result = await service.importIcs(request.body.ics);
        return reply.redirect(`/tips/signals?ok=${encodeURIComponent(`Imported ${result.imported} calendar entries.`)}`, 303);
      } catch (error) {
        return reply.redirect(`/tips/signals?error=${encodeURIComponent((error as Error).message.slice(0, 300))}`, 303);
      }
    });

    app.post(
      '/tips/import/todoist',
      { schema: { hide: true, body: z.object({ token: z.string().min(1).max(200) }) } },
      async (request, reply) => {
        const service = forRequest(request);
        try {
          const result = await service.importTodoist(request.body.token);
          return reply.redirect(`/tips/signals?ok=${encodeURIComponent(`Imported ${result.imported} Todoist tasks.`)}`, 303);
        } catch (error) {
          return reply.redirect(`/tips/signals?error=${encodeURIComponent((error as Error).message.slice(0, 300))}`, 303);
        }
      },
    );

    app.get(
      '/tips/decisions',
      { schema: { hide: true, querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) } },
      async (request, reply) => {
        const service = forRequest(request);
        const state = await service.load();
        const timeZone = service.timeZone(state);
        const entries = await service.decisionLog({ limit: request.query.limit });
        const rows = entries.map((entry) => ({
          decisionId: entry.decisionId,
          when: `${localTime(entry.decidedAt, timeZone).date} ${clockText(entry.decidedAt, timeZone)}`,
          kind: entry.record.candidates[entry.record.chosenIndex]?.kind ?? '',
          text: entry.chosenText,
          propensity: entry.propensity,
          candidates: entry.record.candidates.length,
          reaction: entry.reaction,
          reward: entry.reward,
          shown: entry.shownAt !== null,
          policyVersion: entry.policyVersion,
        }));
        return sendPage(reply, <DecisionLogPage rows={rows} timeZone={timeZone} />);
      },
    );

    app.get('/tips/tips.css', hidden, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(tipsCss),
    );
    app.get('/tips/manifest.webmanifest', hidden, async (_request, reply) =>
      reply.type('application/manifest+json').send(JSON.stringify(tipsManifest)),
    );
    app.get('/tips/icon.svg', hidden, async (_request, reply) => reply.type('image/svg+xml').send(tipsIcon));

    // ---------- JSON API ----------

    const tags = ['tips'];
    const decisionParams = z.object({ id: z.string().min(1).max(120) });

    app.post(
      '/api/tips/signals',
      {
        schema: {
          tags,
          summary: 'Record signals (task, habit, check_in, calendar, mood, context) on the user stream',
          body: z.union([signalInputSchema, z.object({ signals: z.array(signalInputSchema).min(1).max(500) })]),
        },
      },
      async (request, reply) => {
        const service = forRequest(request);
        const inputs: SignalInput[] = 'signals' in request.body ? request.body.signals : [request.body];
        for (const input of inputs)
          if (input.kind === 'context' && !isValidTimeZone(input.timezone))
            throw new ValidationError(`unknown time zone ${input.timezone}`);
        const signalIds = await service.recordSignals(inputs);
        return reply.code(201).send({ signalIds });
      },
    );

    app.get(
      '/api/tips/next',
      {
        schema: {
          tags,
          summary: 'The open tip or a new decision; `show=true` marks it shown (otherwise POST .../shown when it is displayed)',
          querystring: z.object({ show: z.enum(['true', 'false']).default('false'), ask: z.enum(['true', 'false']).default('false') }),
        },
      },
      async (request) => {
        const service = forRequest(request);
        const next = await service.next({ show: request.query.show === 'true', ask: request.query.ask === 'true' });
        if (next.status === 'quiet') return { status: 'quiet', reason: next.reason };
        return { status: 'tip', fresh: next.fresh, decision: publicDecision(next.decision) };
      },
    );

    app.post(
      '/api/tips/decisions/:id/shown',
      { schema: { tags, summary: 'Mark a decision shown (deferred activation)', params: decisionParams } },
      async (request) => ({
        decision: publicDecision(await forRequest(request).markShown(request.params.id)),
      }),
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
      async (request) => ({ decision: publicDecision(await forRequest(request).react(request.params.id, request.body.reaction)) }),
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
        decisions: await forRequest(request).decisionLog({ limit: request.query.limit, before: request.query.before }),
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
      async (request) => {
        const service = forRequest(request);
        const { decision, rederived } = await service.verify(request.params.id);
        return {
          decisionId: decision.decisionId,
          policyVersion: decision.policyVersion,
          logged: { chosenIndex: decision.chosenIndex, propensities: decision.candidates.map((candidate) => candidate.propensity) },
          rederived,
          same: rederived.chosenIndex === decision.chosenIndex,
        };
      },
    );

    app.post(
      '/api/tips/import/ics',
      {
        schema: {
          tags,
          summary: 'Import an iCalendar file (text/calendar body, or JSON { ics }); a malformed file is a 400 naming the line',
          body: z.union([z.string(), z.object({ ics: z.string() })]),
        },
      },
      async (request, reply) => {
        const service = forRequest(request);
        const text = typeof request.body === 'string' ? request.body : request.body.ics;
        return reply.code(201).send(await service.importIcs(text));
      },
    );

    app.post(
      '/api/tips/import/todoist',
      {
        schema: {
          tags,
          summary: 'Import active Todoist tasks through API v1 with a personal token (used once, never stored)',
          body: z.object({ token: z.string().min(1).max(200) }),
        },
      },
      async (request, reply) => reply.code(201).send(await forRequest(request).importTodoist(request.body.token)),
    );

    // ---------- trust: shadows and evaluation, consent, Todoist OAuth, export, deletion ----------

    app.get(
      '/api/tips/shadows',
      { schema: { tags, summary: 'How often each shadow policy agreed with the served decision' } },
      async (request) => {
        const service = forRequest(request);
        const state = await service.load();
        return { serving: service.serving(state).name, agreement: shadowAgreement(state.decisions.values()) };
      },
    );

    app.get(
      '/api/tips/evaluate',
      {
        schema: {
          tags,
          summary: 'IPS, SNIPS, DR and Switch-DR (bootstrap 95 % intervals) of a named policy over the decision log',
          querystring: z.object({ policy: z.enum(policyNames as [PolicyName, ...PolicyName[]]) }),
        },
      },
      async (request) => forRequest(request).evaluate(request.query.policy),
    );

    app.get('/api/tips/consents', { schema: { tags, summary: 'Consent per purpose (tasks, calendar, mood, llm)' } }, async (request) => ({
      consents: await forRequest(request).consents(),
    }));

    app.post(
      '/api/tips/consents',
      {
        schema: {
          tags,
          summary: 'Give or revoke consent for a purpose (recorded with the notice version); takes effect on the next decision',
          body: z.object({ purpose: z.enum(consentPurposes), granted: z.boolean() }),
        },
      },
      async (request) => {
        const service = forRequest(request);
        await service.setConsent(request.body.purpose, request.body.granted);
        return { consents: await service.consents() };
      },
    );

    app.post('/tips/consents', { schema: { hide: true, body: z.record(z.string(), z.string()) } }, async (request, reply) => {
      const service = forRequest(request);
      const current = await service.consents();
      for (const consent of current) {
        const granted = request.body[`purpose_${consent.purpose}`] === 'on';
        if (granted !== consent.granted) await service.setConsent(consent.purpose, granted);
      }
      return reply.redirect(`/tips/signals?ok=${encodeURIComponent('Saved your consent.')}`, 303);
    });

    app.post('/tips/connect/todoist/disconnect', hidden, async (request, reply) => {
      try {
        await forRequest(request).disconnectTodoist();
        return reply.redirect(`/tips/signals?ok=${encodeURIComponent('Disconnected Todoist and revoked its token.')}`, 303);
      } catch (error) {
        return reply.redirect(`/tips/signals?error=${encodeURIComponent((error as Error).message.slice(0, 300))}`, 303);
      }
    });

    app.post(
      '/tips/account/delete',
      { schema: { hide: true, body: z.object({ confirm: z.string().max(200) }) } },
      async (request, reply) => {
        const service = forRequest(request);
        if (request.body.confirm.trim() !== service.userId)
          return reply.redirect(`/tips/signals?error=${encodeURIComponent('Type your user id to confirm the deletion.')}`, 303);
        const receipt = await service.deleteAccount();
        const rows = Object.values(receipt.tables).reduce((sum, count) => sum + count, 0);
        return reply.redirect(`/tips/signals?ok=${encodeURIComponent(`Deleted ${rows} rows of ${receipt.userId}.`)}`, 303);
      },
    );

    app.get('/tips/connect/todoist', hidden, async (request, reply) =>
      reply.redirect((await forRequest(request).authorizeTodoist()).url, 303),
    );

    app.get(
      '/tips/connect/todoist/callback',
      {
        schema: {
          hide: true,
          querystring: z.object({
            code: z.string().max(500).optional(),
            state: z.string().max(200),
            error: z.string().max(200).optional(),
          }),
        },
      },
      async (request, reply) => {
        const service = forRequest(request);
        try {
          if (request.query.error || !request.query.code)
            throw new ValidationError(`Todoist did not authorize: ${request.query.error ?? 'no code'}`);
          await service.completeTodoist(request.query.code, request.query.state);
          return reply.redirect(`/tips/signals?ok=${encodeURIComponent('Connected Todoist.')}`, 303);
        } catch (error) {
          return reply.redirect(`/tips/signals?error=${encodeURIComponent((error as Error).message.slice(0, 300))}`, 303);
        }
      },
    );

    app.post(
      '/api/tips/integrations/todoist/import',
      { schema: { tags, summary: 'Import active Todoist tasks with the connected (vaulted) OAuth token' } },
      async (request, reply) => reply.code(201).send(await forRequest(request).importTodoistConnected()),
    );

    app.post(
      '/api/tips/integrations/todoist/disconnect',
      { schema: { tags, summary: 'Revoke the Todoist token at Todoist and forget it' } },
      async (request) => forRequest(request).disconnectTodoist(),
    );

    app.get(
      '/api/tips/export',
      { schema: { tags, summary: 'Everything about the user as JSON (never a token)' } },
      async (request, reply) =>
        reply
          .header('content-disposition', `attachment; filename="tips-export-${forRequest(request).userId}.json"`)
          .send(await forRequest(request).exportData()),
    );

    app.post(
      '/api/tips/account/delete',
      {
        schema: {
          tags,
          summary: "Revoke the user's tokens and remove every row of the user; `confirm` must be the user id. Returns a receipt",
          body: z.object({ confirm: z.string() }),
        },
      },
      async (request) => {
        const service = forRequest(request);
        if (request.body.confirm !== service.userId) throw new ValidationError('confirm must be the user id');
        return service.deleteAccount();
      },
    );
  };
}

function publicDecision(decision: TrackedDecision) {
  const chosen = decision.candidates[decision.chosenIndex];
  return { ...decision, tip: chosen ? { key: chosen.key, kind: chosen.kind, text: chosen.text, rationale: chosen.rationale } : undefined };
}

/** An htmx fragment: the next card only, escaped like every page. */
function sendFragment(reply: FastifyReply, node: VNode) {
  return reply.type('text/html; charset=utf-8').header('x-content-type-options', 'nosniff').send(renderToString(node));
}

function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** `2026-11-23T10:30` from a datetime-local input, in the user's zone. */
function fromLocalInput(value: string | undefined, timeZone: string): number | undefined {
  if (!value) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!match) throw new ValidationError(`not a date and time: ${value}`);
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  return zonedTimeToEpoch({ year, month, day, hour, minute }, timeZone);
}

/** An HTML form's fields as a signal, validated by the same schema as the API. */
export function signalFromForm(fields: Record<string, string>, timeZone: string, now: number): SignalInput {
  const text = (name: string) => (fields[name] ?? '').trim() || undefined;
  const number = (name: string) => (text(name) === undefined ? undefined : Number(text(name)));
  const slug = (value: string) =>
    value
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'item';
  let raw: Record<string, unknown>;
  switch (fields.kind) {
    case 'task':
      raw = {
        kind: 'task',
        taskId: `manual-${slug(text('title') ?? '')}-${now.toString(36)}`,
        title: text('title'),
        project: text('project'),
        dueAt: fromLocalInput(text('due'), timeZone),
        priority: number('priority') ?? 1,
        durationMinutes: number('durationMinutes'),
      };
      break;
    case 'calendar':
      raw = {
        kind: 'calendar',
        eventId: `manual-${now.toString(36)}`,
        title: text('title') ?? '',
        start: fromLocalInput(text('start'), timeZone),
        end: fromLocalInput(text('end'), timeZone),
      };
      break;
    case 'mood':
      raw = { kind: 'mood', score: number('score'), note: text('note'), at: now };
      break;
    case 'habit':
      raw = { kind: 'habit', habitId: slug(text('name') ?? ''), name: text('name') };
      break;
    case 'check_in':
      raw = { kind: 'check_in', habitId: text('habitId'), at: now };
      break;
    case 'context':
      if (!isValidTimeZone(text('timezone') ?? '')) throw new ValidationError(`unknown time zone ${text('timezone') ?? ''}`);
      raw = { kind: 'context', timezone: text('timezone'), dayType: text('dayType') ?? 'workday', at: now };
      break;
    default:
      throw new ValidationError(`unknown signal kind ${fields.kind ?? '(none)'}`);
  }
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined));
  const parsed = signalInputSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${issue?.path.join('.') || fields.kind}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
