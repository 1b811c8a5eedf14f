/**
 * Browser modules written in TypeScript: a product's `http/client/*.ts` (ES modules, type-checked with the DOM lib by
 * `tsconfig.client.json`). `npm run build` transpiles them into dist/ beside their source's place
 * (`scripts/build-client.mjs`); running from src (tsx, vitest) they are transpiled on first request. Both use
 * `transpileBrowserModule`, so what a test loads is what a build serves.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';

/** TypeScript to the JavaScript a browser loads as a module (types erased; nothing else changed). */
export async function transpileBrowserModule(source: string, fileName: string): Promise<string> {
  // A dev dependency: only needed at build time, or when running from the TypeScript sources.
  const { default: ts } = await import('typescript');
  return ts.transpileModule(source, {
    fileName,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
  }).outputText;
}

async function readIfPresent(file: URL): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A module's JavaScript: the built `.js` beside it (dist), else its `.ts` transpiled (src); undefined when neither exists. */
export async function browserModule(directory: URL, name: string): Promise<string | undefined> {
  const built = await readIfPresent(new URL(`${name}.js`, directory));
  if (built !== undefined) return built;
  const source = await readIfPresent(new URL(`${name}.ts`, directory));
  return source === undefined ? undefined : transpileBrowserModule(source, `${name}.ts`);
}

const moduleFile = z.string().regex(/^[a-z][a-z0-9-]*\.js$/, 'a module name such as chat-client.js');

/** Serves the modules of `directory` at `<prefix><name>.js` (revalidated on every load, like app.css). */
export function browserModuleRoutes(prefix: string, directory: URL): FastifyPluginAsyncZod {
  const cache = new Map<string, Promise<string | undefined>>();
  return async (app) => {
    app.get(`${prefix}:file`, { schema: { hide: true, params: z.object({ file: moduleFile }) } }, async (request, reply) => {
      const name = request.params.file.slice(0, -'.js'.length);
      let loading = cache.get(name);
      if (!loading) {
        loading = browserModule(directory, name);
        cache.set(name, loading);
      }
      const code = await loading;
      if (code === undefined) throw new NotFoundError(`no browser module ${request.params.file}`);
      return reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(code);
    });
  };
}
