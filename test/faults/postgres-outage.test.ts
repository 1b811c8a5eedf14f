/**
 * PostgreSQL goes away under a running `koivulahti start`: the test gives the server its own login role and schema,
 * then, while requests are flowing, forbids the role to log in and terminates its connections (pg_terminate_backend).
 * The process must stay up, answer /health, report the database on /ready (503) and answer requests with problem
 * documents; once the role may log in again, /ready returns to 200 and requests are served, without a restart.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPostgresReachable, testPostgresUrl } from '../../src/store/testing.js';
import { type Program, startProgram } from '../e2e/harness.js';

const reachable = await isPostgresReachable();
if (!reachable) {
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is not reachable at ${testPostgresUrl} and CI=true`);
  console.warn(`[skip] PostgreSQL outage test: PostgreSQL is not reachable at ${testPostgresUrl}`);
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function waitFor<T>(label: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(100);
  }
}

describe.skipIf(!reachable)('PostgreSQL outage under traffic', () => {
  const suffix = `${Math.floor(Date.now() / 1000)}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const role = `r_${suffix}`;
  const schema = `t_${suffix}`;
  let program: Program | undefined;

  beforeAll(async () => {
    await admin(async (client) => {
      await client.query(`create role ${role} login`);
      await client.query(`create schema ${schema} authorization ${role}`);
      await client.query(`alter role ${role} set search_path = ${schema}`);
    });
    const url = new URL(testPostgresUrl);
    url.username = role;
    url.password = '';
    program = await startProgram({
      label: 'pg-outage',
      environment: { DATABASE_URL: url.toString(), KOIVULAHTI_VILLAGE_AUTOSTART: 'false', LOG_LEVEL: 'warn' },
      unset: ['LLM_PROVIDER', 'LLM_BASE_URL', 'LLM_MODEL', 'LLM_MODEL_PATH', 'LLM_API_KEY'],
      healthTimeoutMs: 90_000,
    });
  }, 120_000);

  afterAll(async () => {
    await program?.stop();
    await admin(async (client) => {
      await client.query(`alter role ${role} login`);
      await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where usename = $1`, [role]);
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.query(`drop role if exists ${role}`);
    }).catch(() => undefined);
  }, 60_000);

  it('given the connections are terminated mid-traffic, then the process stays up, /ready goes 503 then 200', async () => {
    if (!program) throw new Error('not started');
    const base = program.baseUrl;
    const ready = async () => {
      const response = await fetch(`${base}/ready`);
      return { status: response.status, body: (await response.json()) as { reason?: string } };
    };
    await waitFor('the first /ready 200', async () => ((await ready()).status === 200 ? true : undefined), 90_000);

    const statuses: number[] = [];
    const problemTypes = new Set<string>();
    let traffic = true;
    const load = (async () => {
      while (traffic) {
        const response = await fetch(`${base}/admin`).catch(() => undefined);
        if (!response) statuses.push(0);
        else {
          statuses.push(response.status);
          if (response.status >= 500) problemTypes.add(response.headers.get('content-type') ?? '');
          await response.arrayBuffer();
        }
        await sleep(20);
      }
    })();
    await waitFor('traffic to flow', async () => (statuses.filter((status) => status === 200).length >= 3 ? true : undefined));

    const terminated = await admin(async (client) => {
      await client.query(`alter role ${role} nologin`);
      const result = await client.query(`select pg_terminate_backend(pid) as done from pg_stat_activity where usename = $1`, [role]);
      return result.rowCount ?? 0;
    });
    expect(terminated).toBeGreaterThan(0);

    const down = await waitFor('/ready 503', async () => {
      const answer = await ready();
      return answer.status === 503 ? answer.body : undefined;
    });
    expect(down.reason).toMatch(/database: store_unavailable: /);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const during = await fetch(`${base}/admin`);
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await during.json()) as { code: string }).code).toBe('store_unavailable');

    await admin((client) => client.query(`alter role ${role} login`));
    await waitFor('/ready 200 again', async () => ((await ready()).status === 200 ? true : undefined));
    traffic = false;
    await load;

    expect((await fetch(`${base}/admin`)).status).toBe(200);
    expect(statuses).not.toContain(0);
    for (const type of problemTypes) expect(type).toMatch(/^application\/problem\+json/);
    expect(program.output()).not.toMatch(/uncaught|unhandled/i);
  }, 180_000);
});
