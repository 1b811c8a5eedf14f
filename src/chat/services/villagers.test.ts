/**
 * Chat with a villager (issue 7 item 10): a village NPC opens as a character through the card import (persona from the
 * catalog, origin `village:<npc id>`), and after a village run the NPC's village memories come back in that bot's
 * chat turns (fetched through the village's index.ts at retrieval time), shown in the drawer with their score.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getVillagerMemories, villageMigrations, villageServiceFor } from '../../village/index.js';
import { villagerNpcId } from '../domain/cards.js';
import { type ChatHarness, startChatHarness } from '../http/testing/harness.js';

describe('chat with a villager', () => {
  let harness: ChatHarness;

  beforeAll(async () => {
    harness = await startChatHarness('', undefined, villageMigrations);
    await harness.chat.authoring.authorYou({ name: 'Sam', pronouns: 'they/them', persona: 'a summer visitor' });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('lists the villagers and offers them on /bots/new', async () => {
    const villagers = (await (await fetch(`${harness.url}/api/villagers`)).json()) as Array<{ id: string; occupation: string }>;
    expect(villagers.find((villager) => villager.id === 'npc_sanni')?.occupation).toBe('café owner');
    const page = await (await fetch(`${harness.url}/bots/new`)).text();
    expect(page).toContain('Chat with a villager');
    expect(page).toContain('value="npc_sanni"');
  });

  it('opens npc_sanni as a character with the catalog persona and retrieves her village memories', async () => {
    const response = await fetch(`${harness.url}/bots/villager`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'npc_id=npc_sanni',
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const botId = /\/bots\/([^/]+)\/kickoff/.exec(response.headers.get('location') ?? '')?.[1] ?? '';
    const bot = await harness.chat.read.requireBot(botId);
    expect(bot.name).toBe('Sanni Virtanen');
    expect(bot.persona).toContain('café owner');
    expect(bot.persona).toContain("Talks fast and warmly, often says 'honestly though' and always asks how you are.");
    expect(villagerNpcId(bot.card)).toBe('npc_sanni');
    // The export keeps the origin.
    const card = (await harness.chat.cards.exportCard(botId)).data.extensions as { koivulahti?: { origin?: string } };
    expect(card.koivulahti?.origin).toBe('village:npc_sanni');

    // Day 1 until 10:00: the kick-off has Marjatta gossip to Sanni at the café about closing the library (07:30).
    const village = villageServiceFor(harness.services);
    await village.engine.advance(harness.services.config.village.seed, 40);
    const { memories } = await getVillagerMemories(harness.services, 'npc_sanni', { limit: 50 });
    const gossip = memories.find((memory) => memory.text.includes('library'));
    expect(gossip?.text).toMatch(/^2026-05-04 07:30: Gossip with Marjatta/);
    expect(gossip?.importance).toBeGreaterThan(0);

    const { parse } = await harness.chat.authoring.parseKickoff(botId);
    const chatId = await harness.chat.authoring.confirmKickoff(botId, parse);
    const { ledger } = await harness.chat.turns.submitTurn(chatId, '"Sanni, have you heard what they plan for the library?"');
    await harness.chat.generations.settled(chatId);
    const chat = await harness.chat.read.requireChat(chatId);
    const retrieved = (chat.last_retrieved ?? []).find((memory) => memory.source === 'village');
    expect(retrieved?.memory_id).toBe(`village:npc_sanni:${gossip?.eventId}`);
    expect(retrieved?.pov_summary).toBe(gossip?.text);
    expect(retrieved?.why).toContain('village memory (2026-05-04 07:30');
    expect(retrieved?.why).toContain("matched the turn's words library");
    expect(retrieved?.parts.text).toBeGreaterThan(0);
    const fromVillage = (chat.last_retrieved ?? []).filter((memory) => memory.source === 'village');
    expect(fromVillage.every((memory) => memory.pov_summary.includes('library'))).toBe(true);
    expect(ledger.entries.some((entry) => entry.part.includes('memor') && entry.action !== 'dropped')).toBe(true);

    const drawer = await (await fetch(`${harness.url}/chats/${chatId}/drawer`)).text();
    expect(drawer).toContain('Gossip with Marjatta');
    expect(drawer).toContain('village memory (2026-05-04 07:30');
  });

  it('answers 404 for an unknown villager', async () => {
    const response = await fetch(`${harness.url}/api/bots/villager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ npc_id: 'npc_nobody' }),
    });
    expect(response.status).toBe(404);
  });
});
