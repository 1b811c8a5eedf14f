/**
 * Configuration: `data/config.toml` (or the file named by KOIVULAHTI_CONFIG), then environment overrides, then
 * command-line overrides, validated with zod. Keys keep the file's snake_case so an error names the key as written.
 * A product's section is its own `src/<product>/config.ts`, a leaf that imports only zod; this file composes them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { chatConfigSchema, chatEnvironmentOverrides } from '../chat/config.js';
import { tipsConfigSchema, tipsEnvironmentOverrides } from '../tips/config.js';
import { villageConfigSchema, villageEnvironmentOverrides } from '../village/config.js';
import { ConfigError } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);
const nonEmptyOrUnset = z
  .string()
  .transform((value) => (value.trim() === '' ? undefined : value.trim()))
  .optional();
const url = (protocols: string[]) =>
  nonEmptyOrUnset.refine((value) => value === undefined || protocols.some((protocol) => value.startsWith(`${protocol}://`)), {
    message: `must start with ${protocols.map((protocol) => `${protocol}://`).join(' or ')}`,
  });

function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** The model aliases the products call; each maps to a provider, a model and its limits. */
export const llmAliasNames = ['writer', 'narrative', 'classifier', 'tip-generator', 'embedder', 'judge'] as const;
export type LlmAliasName = (typeof llmAliasNames)[number];

const llmProvider = z.enum(['openai-compatible', 'local', 'offline']);
const llmStructuredOutputs = z.enum(['json_schema', 'json_object', 'prompt']);
const llmConcurrency = z.coerce.number().int().min(1).max(256);
const llmTimeout = z.coerce.number().int().min(100);
const llmRpm = z.coerce.number().int().min(0);
const llmParams = z.strictObject({
  temperature: z.coerce.number().min(0).max(2).optional(),
  top_p: z.coerce.number().gt(0).max(1).optional(),
  max_tokens: z.coerce.number().int().positive().optional(),
  seed: z.coerce.number().int().optional(),
  stop: z.array(z.string()).optional(),
});
/** Keys that name a backend; set at `[llm]` they are the default of every alias. */
const llmBackendShape = {
  base_url: url(['http', 'https']),
  api_key: nonEmptyOrUnset,
  model: nonEmptyOrUnset,
  model_path: nonEmptyOrUnset,
  threads: z.coerce.number().int().min(1).optional(),
  context_size: z.coerce.number().int().min(128).optional(),
};
/** An alias overrides any `[llm]` default it sets; unset keys fall back to `[llm]`. */
const llmAlias = z.strictObject({
  ...llmBackendShape,
  provider: llmProvider.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  structured_outputs: llmStructuredOutputs.optional(),
  concurrency: llmConcurrency.optional(),
  timeout_ms: llmTimeout.optional(),
  inter_token_timeout_ms: llmTimeout.optional(),
  rpm: llmRpm.optional(),
  params: llmParams.optional(),
});
const llmAliasShape = Object.fromEntries(llmAliasNames.map((name) => [name, llmAlias.prefault({})])) as Record<
  LlmAliasName,
  z.ZodPrefault<typeof llmAlias>
>;

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
      allowed_hosts: z.array(z.string().min(1)).default([]),
      admin_token: nonEmptyOrUnset,
      body_limit_bytes: z.coerce.number().int().positive().default(1_048_576),
      /**
       * Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed: addresses, CIDR ranges, or
       * `loopback`, `linklocal`, `uniquelocal`. Empty: the connecting address is the client.
       */
      trusted_proxies: z
        .array(z.string().trim().refine(isProxyEntry, 'an IP address, a CIDR range, loopback, linklocal or uniquelocal'))
        .default([]),
    })
    .prefault({}),
  database: z
    .strictObject({
      url: url(['postgres', 'postgresql']),
      sqlite_path: z.string().min(1).default('./data/koivulahti.db'),
      pool_size: z.coerce.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  nats: z
    .strictObject({
      url: url(['nats', 'tls']),
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
        .default('koivulahti'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  queue: z
    .strictObject({
      max_attempts: z.coerce.number().int().min(1).max(100).default(5),
      lease_ms: z.coerce.number().int().min(100).default(30_000),
      backoff_base_ms: z.coerce.number().int().min(0).default(1_000),
      backoff_max_ms: z.coerce.number().int().min(0).default(300_000),
    })
    .prefault({}),
  sse: z
    .strictObject({
      heartbeat_ms: z.coerce.number().int().min(1_000).default(15_000),
      max_buffered_events: z.coerce.number().int().min(1).default(1_000),
    })
    .prefault({}),
  village: villageConfigSchema,
  chat: chatConfigSchema,
  llm: z
    .strictObject({
      ...llmBackendShape,
      provider: llmProvider.optional(),
      headers: z.record(z.string(), z.string()).default({}),
      structured_outputs: llmStructuredOutputs.default('json_object'),
      concurrency: llmConcurrency.optional(),
      timeout_ms: llmTimeout.default(120_000),
      /** A stream that sends nothing for this long after its first token has stalled. */
      inter_token_timeout_ms: llmTimeout.default(30_000),
      /** Prompt sizes counted without the backend's tokenizer are multiplied by this before they are trusted. */
      token_margin: z.coerce.number().min(1).max(4).default(1.25),
      rpm: llmRpm.default(0),
      params: llmParams.prefault({}),
      max_retries: z.coerce.number().int().min(0).max(10).default(2),
      retry_base_ms: z.coerce.number().int().min(0).default(500),
      retry_max_wait_ms: z.coerce.number().int().min(0).default(60_000),
      cache: z.enum(['on', 'off', 'read-only']).default('on'),
      cache_ttl_ms: z.coerce.number().int().min(0).default(0),
      blocklist: z.array(z.string().trim().min(1)).default([]),
      moderation_alias: z.enum(llmAliasNames).optional(),
      aliases: z.strictObject(llmAliasShape).prefault({}),
    })
    .prefault({}),
  tips: tipsConfigSchema,
});

export type Config = z.infer<typeof configSchema>;

/** Environment variables and the config key each one overrides. */
export const environmentOverrides: Record<string, string> = {
  HOST: 'server.host',
  PORT: 'server.port',
  KOIVULAHTI_ADMIN_TOKEN: 'server.admin_token',
  DATABASE_URL: 'database.url',
  KOIVULAHTI_SQLITE_PATH: 'database.sqlite_path',
  NATS_URL: 'nats.url',
  NATS_PREFIX: 'nats.prefix',
  LOG_LEVEL: 'log.level',
  LLM_PROVIDER: 'llm.provider',
  LLM_BASE_URL: 'llm.base_url',
  LLM_API_KEY: 'llm.api_key',
  LLM_MODEL: 'llm.model',
  LLM_MODEL_PATH: 'llm.model_path',
  LLM_CACHE: 'llm.cache',
  ...tipsEnvironmentOverrides,
  ...chatEnvironmentOverrides,
  ...villageEnvironmentOverrides,
};

export const defaultConfigPath = './data/config.toml';

export interface ConfigSources {
  /** The text of config.toml, if there is one. */
  fileText?: string | undefined;
  /** Where the text came from, for error messages. */
  filePath?: string | undefined;
  environment?: Record<string, string | undefined>;
  /** Dotted-key overrides from the command line, e.g. `{ 'server.port': '9000' }`. */
  overrides?: Record<string, string | undefined>;
}

/** Parses and validates configuration from its sources. Throws ConfigError naming the key on the first problem. */
export function parseConfig(sources: ConfigSources = {}): Config {
  let raw: Record<string, unknown> = {};
  if (sources.fileText !== undefined) {
    try {
      raw = parseToml(sources.fileText) as Record<string, unknown>;
    } catch (error) {
      const where = sources.filePath ?? 'config.toml';
      const reason = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ${firstLine(error.message)}` : String(error);
      throw new ConfigError(where, `not valid TOML (${reason})`);
    }
  }
  const origins = new Map<string, string>();
  const environment = sources.environment ?? {};
  for (const [name, key] of Object.entries(environmentOverrides)) {
    const value = environment[name];
    if (value !== undefined && value !== '') {
      setPath(raw, key, value);
      origins.set(key, `${name} (${key})`);
    }
  }
  for (const [key, value] of Object.entries(sources.overrides ?? {})) {
    if (value !== undefined) {
      setPath(raw, key, value);
      origins.set(key, `--${key.split('.').pop()} (${key})`);
    }
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) throw new ConfigError('config', 'invalid');
    const path = [...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0] ?? ''] : [])];
    const key = path.join('.');
    const reason = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    throw new ConfigError(origins.get(key) ?? key, reason);
  }
  return result.data;
}

/** Reads config.toml (KOIVULAHTI_CONFIG or ./data/config.toml; a missing default file is fine) and applies overrides. */
export function loadConfig(
  environment: Record<string, string | undefined> = process.env,
  overrides: Record<string, string | undefined> = {},
): Config {
  const explicit = environment.KOIVULAHTI_CONFIG;
  const filePath = explicit && explicit !== '' ? explicit : defaultConfigPath;
  let fileText: string | undefined;
  if (existsSync(filePath)) fileText = readFileSync(filePath, 'utf8');
  else if (explicit) throw new ConfigError('KOIVULAHTI_CONFIG', `file not found: ${filePath}`);
  return parseConfig({ fileText, filePath, environment, overrides });
}

function setPath(target: Record<string, unknown>, dottedKey: string, value: unknown): void {
  const parts = dottedKey.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
