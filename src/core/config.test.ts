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

  describe('[llm]', () => {
    it('defaults to no backend (the offline writer), the cache on and empty alias tables', () => {
      const { llm } = parseConfig();
      expect(llm.base_url).toBeUndefined();
      expect(llm.provider).toBeUndefined();
      expect(llm).toMatchObject({
        cache: 'on',
        cache_ttl_ms: 0,
        structured_outputs: 'json_object',
        max_retries: 2,
        params: {},
      });
      expect(llm.concurrency).toBeUndefined();
      expect(llm.aliases).toEqual({ writer: {}, narrative: {}, classifier: {}, 'tip-generator': {}, embedder: {}, judge: {} });
    });

    it('takes the backend defaults from LLM_* variables', () => {
      const { llm } = parseConfig({
        environment: {
          LLM_PROVIDER: 'openai-compatible',
          LLM_BASE_URL: 'https://openrouter.ai/api/v1',
          LLM_API_KEY: 'sk-or-1',
          LLM_MODEL: 'qwen/qwen-2.5-7b-instruct',
          LLM_MODEL_PATH: './models/x.gguf',
          LLM_CACHE: 'read-only',
        },
      });
      expect(llm).toMatchObject({
        provider: 'openai-compatible',
        base_url: 'https://openrouter.ai/api/v1',
        api_key: 'sk-or-1',
        model: 'qwen/qwen-2.5-7b-instruct',
        model_path: './models/x.gguf',
        cache: 'read-only',
      });
    });

    it('reads alias tables, including the hyphenated tip-generator, with inline params', () => {
      const { llm } = parseConfig({
        fileText: [
          '[llm.aliases.writer]',
          'model = "big"',
          'structured_outputs = "json_schema"',
          'params = { temperature = 0.9, max_tokens = 400, stop = ["###"] }',
          '[llm.aliases.tip-generator]',
          'concurrency = 1',
          'rpm = 30',
        ].join('\n'),
      });
      expect(llm.aliases.writer).toEqual({
        model: 'big',
        structured_outputs: 'json_schema',
        params: { temperature: 0.9, max_tokens: 400, stop: ['###'] },
      });
      expect(llm.aliases['tip-generator']).toEqual({ concurrency: 1, rpm: 30 });
    });

    it('names an unknown alias or alias key', () => {
      expect(errorOf(() => parseConfig({ fileText: '[llm.aliases.poet]\nmodel = "x"\n' })).key).toBe('llm.aliases.poet');
      expect(errorOf(() => parseConfig({ fileText: '[llm.aliases.writer]\ntemperature = 1\n' })).key).toBe(
        'llm.aliases.writer.temperature',
      );
      expect(errorOf(() => parseConfig({ fileText: '[llm]\nparams = { temprature = 1 }\n' })).key).toBe('llm.params.temprature');
    });

    it('rejects bad values with the key as written', () => {
      expect(errorOf(() => parseConfig({ environment: { LLM_CACHE: 'sometimes' } })).key).toBe('LLM_CACHE (llm.cache)');
      expect(errorOf(() => parseConfig({ environment: { LLM_BASE_URL: 'ftp://models' } })).key).toBe('LLM_BASE_URL (llm.base_url)');
      expect(errorOf(() => parseConfig({ fileText: '[llm]\nconcurrency = 0\n' })).key).toBe('llm.concurrency');
      expect(errorOf(() => parseConfig({ fileText: '[llm]\nmoderation_alias = "censor"\n' })).key).toBe('llm.moderation_alias');
      expect(errorOf(() => parseConfig({ fileText: '[llm.aliases.judge]\nstructured_outputs = "grammar"\n' })).key).toBe(
        'llm.aliases.judge.structured_outputs',
      );
      expect(errorOf(() => parseConfig({ fileText: '[llm.aliases.judge]\nparams = { temperature = 3 }\n' })).key).toBe(
        'llm.aliases.judge.params.temperature',
      );
    });
  });
});

describe('server.trusted_proxies', () => {
  it('accepts addresses, CIDR ranges and the named ranges, and names a bad entry', () => {
    const config = parseConfig({ fileText: '[server]\ntrusted_proxies = ["10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "loopback"]\n' });
    expect(config.server.trusted_proxies).toHaveLength(5);
    expect(() => parseConfig({ fileText: '[server]\ntrusted_proxies = ["10.0.0.0/33"]\n' })).toThrow(/server\.trusted_proxies\.0/);
    expect(() => parseConfig({ fileText: '[server]\ntrusted_proxies = ["proxy.lan"]\n' })).toThrow(/CIDR/);
  });
});
