import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { resolveAliases } from './aliases.js';

function resolve(toml: string, environment: Record<string, string> = {}) {
  return resolveAliases(parseConfig({ fileText: `[llm]\n${toml}`, environment }).llm);
}

describe('resolveAliases', () => {
  it('uses the offline writer for every alias when no backend is configured', () => {
    const aliases = resolve('');
    expect(Object.values(aliases).map((alias) => [alias.provider, alias.model, alias.backend])).toEqual(
      Array(6).fill(['offline', 'offline', 'offline']),
    );
  });

  it('makes LLM_BASE_URL, LLM_API_KEY and LLM_MODEL the default of every alias', () => {
    const aliases = resolve('', { LLM_BASE_URL: 'http://127.0.0.1:8081/v1/', LLM_API_KEY: 'sk-1', LLM_MODEL: 'qwen' });
    for (const alias of Object.values(aliases)) {
      expect(alias).toMatchObject({ provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:8081/v1/', apiKey: 'sk-1', model: 'qwen' });
      expect(alias.backend).toBe('openai-compatible http://127.0.0.1:8081/v1');
    }
  });

  it('lets an alias override any default and merges params over the shared ones', () => {
    const aliases = resolve(
      [
        'base_url = "http://a/v1"',
        'model = "small"',
        'concurrency = 4',
        'headers = { "X-Title" = "K" }',
        'params = { temperature = 0.5, max_tokens = 100 }',
        '[llm.aliases.writer]',
        'model = "big"',
        'timeout_ms = 5000',
        'headers = { "X-Extra" = "1" }',
        'params = { temperature = 0.9, stop = ["###"] }',
        '[llm.aliases.embedder]',
        'base_url = "http://b/v1"',
        'model = "embed"',
      ].join('\n'),
      { LLM_MODEL: 'ignored-because-the-file-sets-it' },
    );
    expect(aliases.writer).toMatchObject({
      model: 'big',
      timeoutMs: 5_000,
      concurrency: 4,
      headers: { 'X-Title': 'K', 'X-Extra': '1' },
      params: { temperature: 0.9, maxTokens: 100, stop: ['###'] },
    });
    expect(aliases.judge.model).toBe('ignored-because-the-file-sets-it');
    expect(aliases.embedder).toMatchObject({ baseUrl: 'http://b/v1', model: 'embed', backend: 'openai-compatible http://b/v1' });
  });

  it('infers local from model_path and names the model after the file', () => {
    expect(resolve('model_path = "/models/tiny-llama.gguf"\nthreads = 2\n').writer).toMatchObject({
      provider: 'local',
      concurrency: 1,
      model: 'tiny-llama.gguf',
      modelPath: '/models/tiny-llama.gguf',
      threads: 2,
      backend: 'local /models/tiny-llama.gguf',
    });
  });

  it('keeps an alias offline when told, even with a base URL set', () => {
    const aliases = resolve('base_url = "http://a/v1"\nmodel = "m"\n[llm.aliases.judge]\nprovider = "offline"\n');
    expect(aliases.judge.provider).toBe('offline');
    expect(aliases.writer).toMatchObject({ provider: 'openai-compatible', concurrency: 4 });
  });

  it('names the missing key of an incomplete alias', () => {
    expect(() => resolve('base_url = "http://a/v1"\n')).toThrow(ConfigError);
    expect(() => resolve('base_url = "http://a/v1"\n')).toThrow(/llm\.aliases\.writer\.model/);
    expect(() => resolve('[llm.aliases.judge]\nprovider = "local"\n')).toThrow(/llm\.aliases\.judge\.model_path/);
  });
});
