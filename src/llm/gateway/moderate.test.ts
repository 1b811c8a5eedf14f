import { describe, expect, it } from 'vitest';
import { LlmError } from '../errors.js';
import { gatewayPerTest } from '../testing/gateway-suite.js';

const { open, withMock } = gatewayPerTest();

describe('moderate', () => {
  it('blocks whole blocklisted words, case-insensitively, and ignores them inside other words', async () => {
    const fixture = await open({ toml: 'blocklist = ["Huijari", "osta nyt"]\n' });
    expect(await fixture.gateway.moderate('Hän on HUIJARI!')).toEqual({
      allowed: false,
      reasons: ['blocklist: Huijari'],
      classifier: 'skipped',
    });
    expect(await fixture.gateway.moderate('Huijarimainen sää tänään')).toEqual({ allowed: true, reasons: [], classifier: 'skipped' });
    expect(await fixture.gateway.moderate('Osta nyt halvalla')).toMatchObject({ allowed: false, reasons: ['blocklist: osta nyt'] });
  });

  it('asks the classifier alias when one is configured and adds its reasons', async () => {
    const test = await withMock('moderation_alias = "classifier"\n');
    test.mock.enqueue({ text: '{"allowed":false,"reasons":["harassment"]}' }, { text: '{"allowed":true}' });
    expect(await test.gateway.moderate('Olet typerä')).toEqual({
      allowed: false,
      reasons: ['classifier: harassment'],
      classifier: 'blocked',
    });
    expect(await test.gateway.moderate('Hyvää huomenta')).toEqual({ allowed: true, reasons: [], classifier: 'allowed' });
    expect(test.mock.requests[0]?.messages.at(-1)).toEqual({ role: 'user', content: 'Olet typerä' });
  });

  it('falls back to the blocklist alone when the classifier fails', async () => {
    const test = await withMock('moderation_alias = "classifier"\nblocklist = ["roska"]\n');
    test.mock.enqueue({ error: new LlmError('llm_auth', 'no') }, { error: new LlmError('llm_auth', 'no') });
    expect(await test.gateway.moderate('roska')).toEqual({ allowed: false, reasons: ['blocklist: roska'], classifier: 'unavailable' });
    expect(await test.gateway.moderate('ok')).toEqual({ allowed: true, reasons: [], classifier: 'unavailable' });
  });
});
