import { describe, expect, it } from 'vitest';
import { calls, gatewayPerTest } from '../testing/gateway-suite.js';

const { withMock } = gatewayPerTest();

describe('embed', () => {
  it('embeds through the alias provider and logs the call', async () => {
    const test = await withMock();
    const result = await test.gateway.embed('embedder', ['kissa', 'koira']);
    expect(result).toEqual({
      embeddings: [
        [5, 1],
        [5, 1],
      ],
      model: 'offline',
    });
    expect(test.mock.embedRequests).toEqual([{ texts: ['kissa', 'koira'], model: 'offline' }]);
    expect(await calls(test)).toMatchObject([{ operation: 'embed', failed: 0 }]);
  });
});
