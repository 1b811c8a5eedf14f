/** Browser modules: TypeScript served as JavaScript, the built file preferred, unknown names refused. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing.js';
import { browserModule, browserModuleRoutes, transpileBrowserModule } from './browser-modules.js';

const run = promisify(execFile);

describe('browser modules', () => {
  const directory = mkdtempSync(join(tmpdir(), 'koivulahti-browser-modules-'));
  const folder = pathToFileURL(`${directory}/`);
  let harness: TestApp;

  beforeAll(async () => {
    writeFileSync(
      join(directory, 'greet.ts'),
      "import type { Name } from './names.js';\nimport { shout } from './shout.js';\nexport const greet = (name: Name): string => shout(`moi ${name}`);\n",
    );
    writeFileSync(join(directory, 'shout.ts'), 'export const shout = (text: string) => text.toUpperCase();\n');
    writeFileSync(join(directory, 'built.ts'), 'export const from: string = "source";\n');
    writeFileSync(join(directory, 'built.js'), 'export const from = "build";\n');
    harness = await createTestApp({ routes: [browserModuleRoutes('/test/static/', folder)] });
  });

  afterAll(async () => {
    await harness?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('erases types and type-only imports and keeps the module syntax a browser loads', async () => {
    const code = await transpileBrowserModule("import type { A } from './a.js';\nexport const n: number = 1 as A;\n", 'n.ts');
    expect(code).not.toContain('import');
    expect(code).not.toMatch(/: number|as A/);
    expect(code).toContain('export const n = 1;');
    const file = join(directory, 'checked.mjs');
    writeFileSync(file, await transpileBrowserModule("import { x } from './x.js';\nexport const y: string = x;\n", 'y.ts'));
    await expect(run(process.execPath, ['--check', file])).resolves.toBeDefined();
  });

  it('prefers the built .js beside the source and is undefined when neither exists', async () => {
    expect(await browserModule(folder, 'built')).toBe('export const from = "build";\n');
    expect(await browserModule(folder, 'shout')).toContain('export const shout = (text) => text.toUpperCase();');
    expect(await browserModule(folder, 'missing')).toBeUndefined();
  });

  it('serves a module as JavaScript, revalidated on every load', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/test/static/greet.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toContain("import { shout } from './shout.js';");
    expect(response.body).not.toContain('names.js');
  });

  it('answers 404 for a module that does not exist and 400 for a name that is not a module', async () => {
    expect((await harness.app.inject({ method: 'GET', url: '/test/static/missing.js' })).statusCode).toBe(404);
    const traversal = await harness.app.inject({ method: 'GET', url: '/test/static/..%2Fsecret.js' });
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json()).toMatchObject({ code: 'validation_failed' });
  });
});
