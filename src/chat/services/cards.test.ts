/**
 * Character Card V2/V3 import and export over the routes (issue 7 item 9): JSON and PNG fixtures built here, a
 * round trip that keeps unknown `extensions` and V3 lorebook entries, and the malformed files that get a 400 naming
 * the problem.
 */
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatHarness, startChatHarness } from '../http/testing/harness.js';
import { readCardPng, writeCardPng } from './card-png.js';

const v3 = {
  spec: 'chara_card_v3',
  spec_version: '3.0',
  data: {
    name: 'Aino',
    description: 'A sharp-tongued barista at the harbour cafe.',
    personality: 'dry, loyal, stubborn',
    scenario: 'The cafe is about to close.',
    first_mes: '*Aino looks up.* "We are closing."',
    mes_example: '<START>\n{{char}}: "Well, look who it is."\n<START>\n{{char}}: "I don\'t do mornings."',
    creator_notes: 'kept as is',
    tags: ['cafe'],
    alternate_greetings: ['"You again."'],
    extensions: { depth_prompt: { prompt: 'stay dry', depth: 4 }, unknown_tool: { x: [1, 2, 3] } },
    character_book: {
      name: 'Harbour',
      entries: [
        {
          keys: ['harbour'],
          content: 'The harbour freezes in winter.',
          enabled: true,
          insertion_order: 1,
          use_regex: false,
          extensions: {},
        },
      ],
    },
    assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }],
  },
};

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG with the given tEXt chunks (keyword -> text) and no pixels worth mentioning. */
function png(texts: Record<string, string>): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header[8] = 8;
  header[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...Object.entries(texts).map(([keyword, text]) => chunk('tEXt', Buffer.from(`${keyword}\0${text}`, 'latin1'))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('character cards', () => {
  let harness: ChatHarness;
  const post = (body: Buffer | string, type: string) =>
    fetch(`${harness.url}/api/bots/import`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });

  beforeAll(async () => {
    harness = await startChatHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('imports a V3 JSON card into a bot and exports it back unchanged (extensions and lorebook kept)', async () => {
    const imported = await post(JSON.stringify(v3), 'application/json');
    expect(imported.status).toBe(201);
    const { bot_id } = (await imported.json()) as { bot_id: string };
    expect(await harness.chat.read.bot(bot_id)).toMatchObject({
      name: 'Aino',
      persona: v3.data.description,
      traits: ['dry', 'loyal', 'stubborn'],
      voice_samples: ['{{char}}: "Well, look who it is."', '{{char}}: "I don\'t do mornings."'],
      backstory: v3.data.scenario,
      kickoff_prose: v3.data.first_mes,
    });
    const exported = await fetch(`${harness.url}/api/bots/${bot_id}/card.json`);
    expect(exported.headers.get('content-disposition')).toContain('Aino.json');
    expect(await exported.json()).toEqual(v3);
  });

  it('imports a V2 PNG (chara only) and exports a PNG with ccv3 (preferred) and chara', async () => {
    const v2 = {
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: { ...v3.data, name: 'Eino', character_book: undefined, assets: undefined },
    };
    const imported = await post(png({ chara: base64(v2) }), 'image/png');
    expect(imported.status).toBe(201);
    const { bot_id, name } = (await imported.json()) as { bot_id: string; name: string };
    expect(name).toBe('Eino');
    const exported = Buffer.from(await (await fetch(`${harness.url}/api/bots/${bot_id}/card.png`)).arrayBuffer());
    const card = readCardPng(exported);
    expect(card.spec).toBe('chara_card_v3');
    expect(card.data).toMatchObject({ name: 'Eino', extensions: v3.data.extensions, alternate_greetings: v3.data.alternate_greetings });
    const text = exported.toString('latin1');
    expect(text).toContain('tEXtchara\0');
    expect(text).toContain('tEXtccv3\0');
    // ccv3 wins over chara when both are there
    expect(readCardPng(png({ chara: base64({ ...v2, data: { ...v2.data, name: 'Old' } }), ccv3: base64(v3) })).data.name).toBe('Aino');
    expect(readCardPng(writeCardPng(card, exported)).data.name).toBe('Eino');
  });

  it.each([
    ['not a PNG', Buffer.from('GIF89a not a png at all'), 'image/png', /not a PNG file/],
    ['a PNG without a card chunk', png({ Comment: 'hello' }), 'image/png', /no character card \(no tEXt chunk named ccv3 or chara\)/],
    ['bad base64', png({ chara: '%%% not base64 %%%' }), 'image/png', /chara chunk is not valid base64/],
    ['base64 that is not JSON', png({ ccv3: Buffer.from('hello').toString('base64') }), 'image/png', /ccv3 chunk does not hold JSON/],
    [
      'a wrong spec',
      JSON.stringify({ spec: 'chara_card_v1', data: { name: 'X' } }),
      'application/json',
      /spec must be chara_card_v2 or chara_card_v3, not "chara_card_v1"/,
    ],
    [
      'a missing required field',
      JSON.stringify({ spec: 'chara_card_v2', data: { description: 'no name' } }),
      'application/json',
      /data\.name is required/,
    ],
  ])('rejects %s with a 400 naming the problem', async (_label, body, type, message) => {
    const response = await post(body, type);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(message);
  });
});
