/**
 * Character cards in PNG files: tEXt chunks `ccv3` (V3, preferred) and `chara` (V2), each base64 JSON. Reading checks
 * the signature, chunk bounds and CRCs; writing puts both chunks into the image (a 1x1 placeholder when there is none).
 */
import { crc32, deflateSync } from 'node:zlib';
import { asV2, type Card, CardError, parseCard } from '../domain/cards.js';

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Chunk {
  type: string;
  data: Buffer;
}

function readChunks(file: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  let offset = signature.length;
  while (offset < file.length) {
    if (offset + 12 > file.length) throw new CardError('the PNG is truncated');
    const length = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > file.length) throw new CardError(`the PNG chunk ${type} runs past the end of the file`);
    const data = file.subarray(offset + 8, offset + 8 + length);
    if (crc32(file.subarray(offset + 4, offset + 8 + length)) >>> 0 !== file.readUInt32BE(offset + 8 + length))
      throw new CardError(`the PNG chunk ${type} has a bad CRC`);
    chunks.push({ type, data });
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}

function decodeChunk(keyword: string, text: string): Card {
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact))
    throw new CardError(`the ${keyword} chunk is not valid base64`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(compact, 'base64').toString('utf8'));
  } catch {
    throw new CardError(`the ${keyword} chunk does not hold JSON`);
  }
  return parseCard(parsed);
}

export const isPng = (file: Buffer): boolean => file.length >= 8 && file.subarray(0, 8).equals(signature);

/** The card in a PNG: `ccv3` when present, else `chara`. */
export function readCardPng(file: Buffer): Card {
  if (!isPng(file)) throw new CardError('not a PNG file (the PNG signature is missing)');
  const texts = new Map<string, string>();
  for (const chunk of readChunks(file)) {
    if (chunk.type !== 'tEXt') continue;
    const zero = chunk.data.indexOf(0);
    if (zero < 0) continue;
    texts.set(chunk.data.toString('latin1', 0, zero), chunk.data.toString('latin1', zero + 1));
  }
  for (const keyword of ['ccv3', 'chara']) {
    const text = texts.get(keyword);
    if (text !== undefined) return decodeChunk(keyword, text);
  }
  throw new CardError('the PNG has no character card (no tEXt chunk named ccv3 or chara)');
}

/** A card file's contents: a PNG card or a JSON card. */
export function readCardFile(file: Buffer): Card {
  if (isPng(file)) return readCardPng(file);
  const text = file.toString('utf8').trim();
  if (!text.startsWith('{')) throw new CardError('not a PNG file or a JSON card');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CardError('the JSON card is not valid JSON');
  }
  return parseCard(parsed);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function placeholderImage(): Buffer[] {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return [chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from([0, 0x1d, 0x5b, 0x8c, 0xff])))];
}

const textChunk = (keyword: string, card: Card) =>
  chunk(
    'tEXt',
    Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from(Buffer.from(JSON.stringify(card)).toString('base64'), 'latin1')]),
  );

/** A PNG with the card as `ccv3` (V3) and `chara` (V2); `image` keeps its pixels, its old card chunks are replaced. */
export function writeCardPng(card: Card, image?: Buffer): Buffer {
  let body = placeholderImage();
  let end = [chunk('IEND', Buffer.alloc(0))];
  if (image && isPng(image)) {
    const chunks = readChunks(image).filter(
      (item) => !(item.type === 'tEXt' && /^(chara|ccv3)\0/.test(item.data.toString('latin1', 0, 6))),
    );
    body = chunks.filter((item) => item.type !== 'IEND').map((item) => chunk(item.type, item.data));
    end = [chunk('IEND', Buffer.alloc(0))];
  }
  return Buffer.concat([signature, ...body, textChunk('chara', asV2(card)), textChunk('ccv3', card), ...end]);
}
