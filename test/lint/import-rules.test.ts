import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repository = fileURLToPath(new URL('../..', import.meta.url));

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

async function depcruise(target: string, outputType: 'err' | 'json'): Promise<{ exitCode: number; stdout: string }> {
  const command = [
    'node_modules/dependency-cruiser/bin/dependency-cruise.mjs',
    target,
    '--config',
    '.dependency-cruiser.cjs',
    '--output-type',
    outputType,
  ];
  try {
    const { stdout } = await run(process.execPath, command, { cwd: repository, maxBuffer: 16 * 1024 * 1024 });
    return { exitCode: 0, stdout };
  } catch (error) {
    const failure = error as { code: number; stdout: string };
    return { exitCode: failure.code, stdout: failure.stdout };
  }
}

/** The lint script's own exit code (the `err` reporter), plus the violations as JSON. */
async function cruise(target: string): Promise<{ exitCode: number; violations: Violation[] }> {
  const [plain, json] = await Promise.all([depcruise(target, 'err'), depcruise(target, 'json')]);
  return { exitCode: plain.exitCode, violations: JSON.parse(json.stdout).summary.violations };
}

// Each case runs dependency-cruiser over a tree: seconds on a quiet machine, far more on a loaded one.
describe('import rules (npm run lint)', { timeout: 120_000 }, () => {
  it('fail for a domain/ file that imports fs, net, a database driver or the LLM layer, and pass the pure one', async () => {
    const { exitCode, violations } = await cruise('test/lint/fixtures/src');
    expect(exitCode).not.toBe(0);
    const flagged = violations
      .filter((violation) => violation.rule.name === 'domain-is-pure')
      .map((violation) => violation.from.split('/').pop());
    expect(flagged.sort()).toEqual(['calls-the-model.ts', 'opens-sockets.ts', 'queries-database.ts', 'reads-files.ts']);
    expect(violations.some((violation) => violation.from.endsWith('pure.ts'))).toBe(false);
  }, 120_000);

  it("fail when a product reaches into another product's internals instead of its index.ts", async () => {
    const { violations } = await cruise('test/lint/fixtures/src');
    const crossing = violations.filter((violation) => violation.rule.name === 'products-use-each-other-through-index');
    expect(crossing.map((violation) => violation.from.split('/').pop())).toEqual(['reaches-into-village.ts']);
  }, 120_000);

  it("let core/config.ts compose the products' config sections, and fail a section that imports our code", async () => {
    const { violations } = await cruise('test/lint/fixtures/src');
    expect(violations.filter((violation) => violation.rule.name === 'core-depends-on-nothing')).toEqual([]);
    const leaves = violations.filter((violation) => violation.rule.name === 'product-config-is-a-leaf');
    expect(leaves.map((violation) => `${violation.from.split('/').slice(-2).join('/')} -> ${violation.to.split('/').pop()}`)).toEqual([
      'tips/config.ts -> math.ts',
    ]);
  }, 120_000);

  it("fail when a product's http/ reaches past its services and read model, or its domain or read model reaches up", async () => {
    const { violations } = await cruise('test/lint/fixtures/src');
    const skeleton = violations
      .filter((violation) =>
        ['product-http-uses-its-own-rooms', 'domain-imports-only-domain-and-core', 'read-model-below-services-and-http'].includes(
          violation.rule.name,
        ),
      )
      .map(
        (violation) =>
          `${violation.rule.name}: ${violation.from.split('/').slice(-2).join('/')} -> ${violation.to.split('/').slice(-2).join('/')}`,
      );
    expect(skeleton.sort()).toEqual([
      'domain-imports-only-domain-and-core: domain/calls-a-service.ts -> services/tips.ts',
      'domain-imports-only-domain-and-core: domain/calls-the-model.ts -> llm/gateway.ts',
      'product-http-uses-its-own-rooms: routes/reaches-into-store.ts -> store/adapter.ts',
      'product-http-uses-its-own-rooms: routes/reaches-into-village.ts -> village/index.ts',
      'read-model-below-services-and-http: read-model/imports-http.ts -> routes/uses-own-rooms.ts',
    ]);
    expect(violations.some((violation) => violation.from.endsWith('uses-own-rooms.ts'))).toBe(false);
  }, 120_000);

  it('pass for the real source tree', async () => {
    const { exitCode, violations } = await cruise('src');
    expect(violations).toEqual([]);
    expect(exitCode).toBe(0);
  });
});
