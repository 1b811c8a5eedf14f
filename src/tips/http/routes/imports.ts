/** Imports: an iCalendar file and Todoist tasks with a pasted token, as page forms and as JSON API. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { icsFormSchema, todoistTokenFormSchema } from '../forms.js';
import { formAction } from '../respond.js';
import type { ServiceFor } from '../service-for.js';

const tags = ['tips'];
/** Above the parser's own size limit, so an oversized calendar gets the parser's 400 naming the line. */
const icsBodyLimit = 16 * 1024 * 1024;

export function importRoutes(serviceFor: ServiceFor): FastifyPluginAsyncZod {
  return async (app) => {
    // Scoped to this plugin: iCalendar bodies for the import API (HTML forms are parsed by the web kit).
    app.addContentTypeParser('text/calendar', { parseAs: 'string', bodyLimit: icsBodyLimit }, (_request, body, done) =>
      done(null, String(body)),
    );

    app.post('/tips/import/ics', { bodyLimit: icsBodyLimit, schema: { hide: true, body: icsFormSchema } }, async (request, reply) =>
      formAction(reply, async () => {
        const result = await serviceFor(request).importIcs(request.body.ics);
        return `Imported ${result.imported} calendar entries.`;
      }),
    );

    app.post('/tips/import/todoist', { schema: { hide: true, body: todoistTokenFormSchema } }, async (request, reply) =>
      formAction(reply, async () => {
        const result = await serviceFor(request).importTodoist(request.body.token);
        return `Imported ${result.imported} Todoist tasks.`;
      }),
    );

    app.post(
      '/api/tips/import/ics',
      {
        bodyLimit: icsBodyLimit,
        schema: {
          tags,
          summary: 'Import an iCalendar file (text/calendar body, or JSON { ics }); a malformed file is a 400 naming the line',
          body: z.union([z.string(), z.object({ ics: z.string() })]),
        },
      },
      async (request, reply) => {
        const text = typeof request.body === 'string' ? request.body : request.body.ics;
        return reply.code(201).send(await serviceFor(request).importIcs(text));
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
      async (request, reply) => reply.code(201).send(await serviceFor(request).importTodoist(request.body.token)),
    );
  };
}
