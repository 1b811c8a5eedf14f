/** Small reply helpers shared by the tips route plugins. */
import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { TrackedDecision } from '../services/index.js';

/** An htmx fragment: the next card only, escaped like every page. */
export function sendFragment(reply: FastifyReply, node: VNode) {
  return reply.type('text/html; charset=utf-8').header('x-content-type-options', 'nosniff').send(renderToString(node));
}

/** Back to the signals page with a notice (forms answer with a redirect, never a bare error page). */
export function backToSignals(reply: FastifyReply, notice: { ok: string } | { error: string }) {
  const query = 'ok' in notice ? `ok=${encodeURIComponent(notice.ok)}` : `error=${encodeURIComponent(notice.error.slice(0, 300))}`;
  return reply.redirect(`/tips/signals?${query}`, 303);
}

/** Runs a form's action; its failure becomes the signals page's error notice. */
export async function formAction(reply: FastifyReply, action: () => Promise<string>) {
  try {
    return backToSignals(reply, { ok: await action() });
  } catch (error) {
    return backToSignals(reply, { error: (error as Error).message });
  }
}

/** A decision as the API returns it: the full record plus the chosen tip in short. */
export function publicDecision(decision: TrackedDecision) {
  const chosen = decision.candidates[decision.chosenIndex];
  return { ...decision, tip: chosen ? { key: chosen.key, kind: chosen.kind, text: chosen.text, rationale: chosen.rationale } : undefined };
}
