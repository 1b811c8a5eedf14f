/**
 * Browser test of the chat's first run with no model configured (the offline narrator writes): settings -> new bot
 * -> kickoff confirm -> a turn whose reply streams into two tabs at once, and the drawer shows the memory it wrote.
 * Starts the real program (`src/cli.ts start`) and drives Debian's /usr/bin/chromium through playwright-core.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Program, requireChromium, resultFile, startProgram } from './harness.js';

function watch(page: Page, failures: string[]): void {
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
}

describe.skipIf(requireChromium('chat browser test'))('chat in the browser', () => {
  let program: Program | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    program = await startProgram({
      label: 'chat',
      environment: { KOIVULAHTI_VILLAGE_AUTOSTART: 'false' },
      unset: ['LLM_PROVIDER', 'LLM_BASE_URL', 'LLM_MODEL', 'LLM_MODEL_PATH', 'LLM_API_KEY'],
    });
    baseUrl = program.baseUrl;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await program?.stop();
  });

  it('first run -> settings -> new bot -> kickoff -> a reply streamed into two tabs -> the memory in the drawer', async () => {
    if (!browser) throw new Error('no browser');
    const shot = (page: Page, name: string) => page.screenshot({ path: resultFile(`chat-${name}.png`), fullPage: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const failures: string[] = [];
    const first = await context.newPage();
    watch(first, failures);

    // First run: no you-entity yet, so the chat sends you to the settings.
    await first.goto(`${baseUrl}/chat`);
    await first.waitForURL(/\/settings/);
    expect(await first.locator('.chat-banner').textContent()).toContain('No language model is configured');
    expect(await first.locator('.chat-banner').textContent()).toContain('LLM_BASE_URL');
    await shot(first, '1-settings');
    await first.getByLabel('Name').fill('Sam');
    await first.getByLabel('Pronouns').fill('they/them');
    await first.getByLabel('About you').fill('A night-shift nurse who loves old films.');
    await first.getByRole('button', { name: 'Save' }).click();

    // No bots yet: on to the bot form.
    await first.waitForURL(/\/bots\/new/);
    await first.getByLabel('Name').fill('Aino');
    await first.getByLabel('Persona').fill('A sharp-tongued barista at the harbour cafe who secretly writes poetry.');
    await first.getByLabel(/Voice samples/).fill('"Well, look who it is."\n---\n"I don\'t do mornings."');
    await first.getByLabel(/Traits/).fill('dry humour, loyal, stubborn');
    await first.getByLabel('Initial relationship to you').fill('You are a regular; she pretends not to notice.');
    await first
      .getByLabel('Kickoff')
      .fill('Late in the evening you walk into the harbour cafe. Aino is wiping the counter and the rain taps on the windows.');
    await shot(first, '2-new-bot');
    await first.getByRole('button', { name: /Save and read the kickoff/ }).click();

    // The kickoff, read into places and activities, editable before it starts the chat.
    await first.waitForURL(/\/bots\/[^/]+\/kickoff/);
    expect(await first.locator('input[name="container_name"]').inputValue()).toBe('The cafe');
    await first.locator('input[name="bot_action_verb"]').fill('wiping the counter');
    await shot(first, '3-kickoff');
    await first.getByRole('button', { name: /Confirm and start the chat/ }).click();
    await first.waitForURL(/\/chats\/c_/);
    const chatUrl = first.url();

    const second = await context.newPage();
    watch(second, failures);
    await second.goto(chatUrl);
    for (const page of [first, second]) await page.locator('#live-state.on').waitFor();

    await first.locator('#composer-text').fill('*shakes off the rain* "Evening, Aino. The usual tea, please." ((keep it cosy))');
    await first.locator('#send').click();

    for (const page of [first, second]) {
      await page.locator('.msg-assistant:not(.streaming) .text', { hasText: 'offline narrator' }).waitFor();
      await page.locator('.msg-user .seg-ooc', { hasText: 'keep it cosy' }).waitFor();
      // the reply arrived as token deltas in this tab, not as one finished message
      expect(await page.evaluate(() => (window as unknown as { chatStats: { deltas: number } }).chatStats.deltas)).toBeGreaterThan(1);
    }
    for (const page of [first, second])
      expect(
        (await page.locator('#messages > li').evaluateAll((items) => items.map((item) => item.className.split(' ')[1]))).slice(0, 2),
      ).toEqual(['msg-user', 'msg-assistant']);
    const replies = await Promise.all([first, second].map((page) => page.locator('.msg-assistant .text').last().textContent()));
    expect(replies[0]).toBe(replies[1]);

    // The post-turn passes write the memory; the drawer reloads in both tabs and shows it.
    for (const page of [first, second]) await page.locator('#recent-memories .memory', { hasText: 'The usual tea, please.' }).waitFor();
    expect(await first.locator('.drawer').textContent()).toContain('Token budget, last turn');

    // A second turn retrieves that memory; the drawer says why, and shows the turn's token ledger.
    await first.locator('#send:not([disabled])').waitFor();
    await second.locator('#composer-text').fill('"Do you remember my usual tea?"');
    await second.locator('#send').click();
    for (const page of [first, second]) await page.locator('.msg-assistant:not(.streaming)').nth(1).waitFor();
    await first.locator('.drawer .memory .why', { hasText: 'matched the turn' }).first().waitFor();
    await first.setViewportSize({ width: 1280, height: 1700 });
    expect(await first.locator('.drawer .edge-title').first().textContent()).toContain('Aino');
    await shot(first, '4-chat');
    await shot(second, '5-chat-second-tab');

    await first.goto(`${baseUrl}/chats`);
    expect(await first.locator('.chat-list').textContent()).toContain('Aino');
    await shot(first, '6-chats');

    expect(failures).toEqual([]);
    await context.close();
  });

  it('rewind with its impact preview, then undo; regenerate after an edit shows the new reply and the old one as a variant', async () => {
    if (!browser) throw new Error('no browser');
    const shot = (page: Page, name: string) => page.screenshot({ path: resultFile(`chat-${name}.png`), fullPage: true });
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBeLessThan(300);
      return (await response.json()) as Record<string, unknown>;
    };
    type ChatRead = { streaming_turn_id: string | null; memories: unknown[]; messages: Array<{ turn_id: string; role: string }> };
    const read = async (chatId: string) => (await (await fetch(`${baseUrl}/api/chats/${chatId}`)).json()) as ChatRead;
    await post('/api/you', { name: 'Sam', pronouns: 'they/them', persona: 'nurse' });
    const { bot_id } = await post('/api/bots', {
      name: 'Eino',
      persona: 'An old fisher who mends nets.',
      kickoff_prose: 'Dawn on the pier.',
    });
    const { parse } = await post(`/api/bots/${bot_id}/kickoff`, {});
    const { chat_id } = (await post('/api/chats', { bot_id, kickoff: parse })) as { chat_id: string };
    const chatId = String(chat_id);
    const replies: string[] = [];
    for (const [index, text] of ['"Morning, Eino."', '"Any fish today?"', '"Can I help with the nets?"'].entries()) {
      const { reply_id } = await post(`/api/chats/${chatId}/turns`, { text });
      replies.push(String(reply_id));
      // the reply is stored and its post-turn passes wrote the memory before the next turn
      for (let waited = 0; ; waited += 50) {
        const chat = await read(chatId);
        if (chat.streaming_turn_id === null && chat.memories.length === index + 1) break;
        if (waited > 15_000) throw new Error(`turn ${index + 1} did not settle`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
    const failures: string[] = [];
    const page = await context.newPage();
    watch(page, failures);
    await page.goto(`${baseUrl}/chats/${chatId}`);
    await page.locator('#live-state.on').waitFor();
    expect(await page.locator('#messages > li:not([hidden])').count()).toBe(6);

    // Rewind to the first reply: the preview counts what stops counting.
    await page.locator(`#turn-${replies[0]} .rewind-btn`).click();
    const dialog = page.locator('#rewind-dialog');
    await dialog.locator('#rewind-confirm').waitFor();
    expect(await dialog.locator('[data-impact="messages"] strong').textContent()).toBe('4');
    expect(await dialog.locator('[data-impact="memories"] strong').textContent()).toBe('2');
    expect(await dialog.locator('[data-impact="relationship updates"] strong').textContent()).toBe('4');
    await shot(page, '7-rewind-preview');
    await dialog.locator('#rewind-confirm').click();
    await page.locator('#undo-toast').waitFor();
    expect(await page.locator('#messages > li').count()).toBe(2);
    await page.locator('#recent-memories .memory').first().waitFor();
    expect(await page.locator('#recent-memories .memory').count()).toBe(1);
    await shot(page, '8-rewound-with-undo');

    // Undo within 30 s: all three turns are back.
    await page.locator('#undo').click();
    await page.waitForFunction(() => document.querySelectorAll('#messages > li').length === 6);
    expect(await page.locator('#undo-toast').count()).toBe(0);
    expect(await page.locator('#recent-memories .memory').count()).toBe(3);
    await shot(page, '9-undone');

    // Regenerate the latest reply after editing the turn it answers.
    const oldReply = replies[2] as string;
    await page.locator(`#turn-${oldReply} .regenerate-btn`).click();
    const edit = page.locator('.msg-user .edit-turn textarea');
    expect(await edit.inputValue()).toBe('"Can I help with the nets?"');
    await edit.fill('"Can I help you mend the nets?"');
    await page.locator('.edit-turn .regenerate-submit').click();
    await page.locator(`#turn-${oldReply}.variant[hidden]`).waitFor({ state: 'attached' });
    const current = page.locator('.msg-assistant:not([hidden]):not(.variant)').last();
    await page.locator('.msg-assistant:not(.variant):not(.streaming) .variant-pos', { hasText: '2/2' }).waitFor();
    expect(await current.getAttribute('id')).not.toBe(`turn-${oldReply}`);
    expect(await page.locator('.msg-user').last().textContent()).toContain('Can I help you mend the nets?');
    expect(await page.locator('.msg-user').last().textContent()).toContain('(edited)');
    await shot(page, '10-regenerated');
    await page.locator('.msg-assistant:not([hidden]) .variant-prev').click();
    await page.locator(`#turn-${oldReply}:not([hidden])`).waitFor();
    expect(await page.locator(`#turn-${oldReply} .variant-pos`).textContent()).toBe('1/2');
    await shot(page, '11-earlier-variant');

    const after = await read(chatId);
    expect(after.messages.filter((message) => message.role === 'assistant')).toHaveLength(4);
    expect(failures).toEqual([]);
    await context.close();
  });
});
