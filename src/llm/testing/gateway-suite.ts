/**
 * What the gateway's operation tests share: a sample schema, fallback and prompt, a gateway per test (closed after
 * it), a mock behind every alias, and readers of the call log and of a text stream.
 */
import { afterEach } from 'vitest';
import { z } from 'zod';
import type { TextStreamPart } from '../gateway/index.js';
import type { ChatMessage } from '../provider.js';
import { createTestGateway, type TestGateway, type TestGatewayOptions } from './gateway-fixture.js';
import { createMockProvider, type MockProvider } from './mock-provider.js';

export const Post = z.object({ title: z.string().min(1), likes: z.number().int().min(0) });
export const fallback = { title: 'Ei uutisia', likes: 0 };
export const messages: ChatMessage[] = [
  { role: 'system', content: 'Olet Aino, kyläläinen.' },
  { role: 'user', content: 'Kirjoita otsikko.' },
];

/** Call in a test file: every gateway opened through the result is closed after its test. */
export function gatewayPerTest(): {
  open(options?: TestGatewayOptions): Promise<TestGateway>;
  withMock(toml?: string, mock?: MockProvider): Promise<TestGateway & { mock: MockProvider }>;
} {
  let fixture: TestGateway | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  const open = async (options?: TestGatewayOptions) => {
    fixture = await createTestGateway(options);
    return fixture;
  };
  return {
    open,
    async withMock(toml = '', mock = createMockProvider()) {
      const test = await open({ toml, providers: { writer: mock, classifier: mock, embedder: mock, narrative: mock } });
      return { ...test, mock };
    },
  };
}

export async function calls(test: TestGateway) {
  return test.database.db.selectFrom('llm_calls').selectAll().orderBy('id').execute();
}

export async function failures(test: TestGateway) {
  return test.database.db.selectFrom('llm_failures').selectAll().orderBy('id').execute();
}

export async function collect(parts: AsyncIterable<TextStreamPart>): Promise<TextStreamPart[]> {
  const result: TextStreamPart[] = [];
  for await (const part of parts) result.push(part);
  return result;
}
