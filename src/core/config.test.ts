import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { ConfigError } from './errors.js';

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('gives the embedded defaults when nothing is configured', () => {
    const config = parseConfig();
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.database.url).toBeUndefined();
    expect(config.database.sqlite_path).toBe('./data/koivulahti.db');
    expect(config.nats.url).toBeUndefined();
  });

  it('reads the TOML file and lets the environment override it', () => {
    const config = parseConfig({
      fileText: '[server]\nport = 9000\nhost = "0.0.0.0"\n[database]\nurl = "postgres://x@localhost/db"\n',
      environment: { PORT: '9100', NATS_URL: 'nats://127.0.0.1:4222', LLM_BASE_URL: 'http://127.0.0.1:8081/v1' },
    });
    expect(config.server.port).toBe(9100);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.database.url).toBe('postgres://x@localhost/db');
    expect(config.nats.url).toBe('nats://127.0.0.1:4222');
    expect(config.llm.base_url).toBe('http://127.0.0.1:8081/v1');
  });

  it('lets command-line overrides win over the environment', () => {
    const config = parseConfig({ environment: { PORT: '9100' }, overrides: { 'server.port': '9200' } });
    expect(config.server.port).toBe(9200);
  });

  it('names the key of a wrong value in the file', () => {
    const error = errorOf(() => parseConfig({ fileText: '[server]\nport = "eighty"\n' }));
    expect(error.key).toBe('server.port');
    expect(error.message).toMatch(/^server\.port: /);
  });

  it('names the environment variable of a wrong override', () => {
    const error = errorOf(() => parseConfig({ environment: { PORT: '70000' } }));
    expect(error.key).toBe('PORT (server.port)');
  });

  it('rejects a database url that is not PostgreSQL', () => {
    const error = errorOf(() => parseConfig({ environment: { DATABASE_URL: 'mysql://localhost/x' } }));
    expect(error.key).toBe('DATABASE_URL (database.url)');
    expect(error.message).toContain('postgres://');
  });

  it('names an unknown key, so a typo is not silently ignored', () => {
    const error = errorOf(() => parseConfig({ fileText: '[server]\nprot = 1\n' }));
    expect(error.key).toBe('server.prot');
    expect(error.message).toContain('unknown key');
  });

  it('reports broken TOML with its line', () => {
    const error = errorOf(() => parseConfig({ fileText: '[server\nport = 1', filePath: 'data/config.toml' }));
    expect(error.key).toBe('data/config.toml');
    expect(error.message).toMatch(/line 1/);
  });
});
