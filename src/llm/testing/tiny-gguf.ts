/**
 * Test support: writes a tiny random-weight llama GGUF (v3, all tensors F32) from scratch, so the local provider's
 * test needs no downloaded model. The output is gibberish by design; the file only has to load and run fast.
 *
 * Layout (GGUF v3, little-endian): magic "GGUF", version u32, tensor count u64, metadata count u64; metadata as
 * (key string, value type u32, value); tensor infos as (name string, dimension count u32, dimensions u64 each with
 * the innermost dimension first, ggml type u32, offset u64 relative to the data section); zero padding to the
 * alignment; then the tensor data, each tensor padded to the alignment. Strings are a u64 byte length plus UTF-8.
 */
import { writeFile } from 'node:fs/promises';
import { Rng } from '../../core/rng.js';
import { subwordPieces } from './tiny-vocabulary.js';

export interface TinyGgufOptions {
  seed?: number;
  embeddingLength?: number;
  headCount?: number;
  headCountKv?: number;
  feedForwardLength?: number;
  blockCount?: number;
  contextLength?: number;
  /** A Jinja chat template stored as `tokenizer.chat_template`; none by default. */
  chatTemplate?: string;
  /**
   * `basic` (default): about one token per character. `subwords`: word pieces that compress prompts about as much as a
   * real model's tokenizer, plus the ChatML markers `<|im_start|>` and `<|im_end|>` as control tokens.
   */
  vocabulary?: 'basic' | 'subwords';
}

export interface TinyGgufInfo {
  path: string;
  bytes: number;
  embeddingLength: number;
  contextLength: number;
  vocabulary: readonly string[];
}

const alignment = 32;
const ggmlTypeF32 = 0;

const valueType = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

/** llama.cpp token types, stored as `tokenizer.ggml.token_type` (an int32 array). */
const tokenType = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

type MetadataValue =
  | { type: 'uint32'; value: number }
  | { type: 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string-array'; value: readonly string[] }
  | { type: 'float32-array'; value: readonly number[] }
  | { type: 'int32-array'; value: readonly number[] };

interface TensorSpec {
  name: string;
  /** GGUF order: ne[0] (the contiguous, innermost dimension) first. */
  dimensions: readonly number[];
  fill: 'ones' | 'random' | 'embedding' | 'output';
}

// Separated by spaces for brevity; SentencePiece marks a word start with '▁', so no piece contains a space.
const wordPieces = (
  '▁the ▁a ▁and ▁of ▁to ▁in ▁is ▁it ▁you ▁I ▁we ▁yes ▁no ▁hello ▁world ▁village ▁lake ▁sauna ▁birch ▁boat ▁fish ' +
  '▁bread ▁coffee ▁snow ▁rain ▁sun ▁good ▁morning ▁night ▁day er ing ed ly th ▁{ ▁} ▁" ": ",'
).split(' ');

/** SentencePiece-style vocabulary with byte fallback; every string is unique (llama.cpp aborts on a duplicate). */
export function tinyVocabulary(kind: 'basic' | 'subwords' = 'basic'): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const add = (token: string, score: number, type: number): void => {
    tokens.push(token);
    scores.push(score);
    types.push(type);
  };
  add('<unk>', 0, tokenType.unknown);
  add('<s>', 0, tokenType.control);
  add('</s>', 0, tokenType.control);
  for (let byte = 0; byte < 256; byte++) {
    add(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, 0, tokenType.byte);
  }
  add('▁', -1, tokenType.normal);
  // Longer pieces score higher so SentencePiece merges prefer them.
  for (const [index, piece] of wordPieces.entries()) add(piece, -2 - index, tokenType.normal);
  for (let code = 0x21; code <= 0x7e; code++) add(String.fromCharCode(code), -100 - code, tokenType.normal);
  if (kind === 'subwords') {
    const known = new Set(tokens);
    for (const piece of subwordPieces()) if (!known.has(piece)) add(piece, [...piece].length - 50, tokenType.normal);
    // Last, so the ids of the byte tokens (which the output prior is keyed on) stay where they are.
    add('<|im_start|>', 0, tokenType.control);
    add('<|im_end|>', 0, tokenType.control);
  }

  const seen = new Set<string>();
  for (const token of tokens) {
    if (seen.has(token)) throw new Error(`tiny GGUF vocabulary has a duplicate token: ${token}`);
    seen.add(token);
  }
  return { tokens, scores, types };
}

export interface TinyGgufBuild {
  bytes: Buffer;
  embeddingLength: number;
  contextLength: number;
  vocabulary: string[];
}

/** Builds the whole file in memory (about 0.5 MB with the defaults). */
export function buildTinyGguf(options: TinyGgufOptions = {}): TinyGgufBuild {
  const shape = tinyShape(options);
  const vocabulary = tinyVocabulary(options.vocabulary);
  const metadata = tinyMetadata(shape, vocabulary, options.chatTemplate);
  const tensors = tinyTensors(shape, vocabulary.tokens.length);

  const writer = new ByteWriter();
  writer.raw(Buffer.from('GGUF', 'ascii'));
  writer.uint32(3);
  writer.uint64(tensors.length);
  writer.uint64(metadata.length);
  for (const [key, value] of metadata) writeMetadata(writer, key, value);
  const tensorSizes = writeTensorTable(writer, tensors);
  writer.padTo(alignment);
  writeTensorData(writer, tensors, tensorSizes, vocabulary.types, shape.embeddingLength, options.seed ?? 1);

  return {
    bytes: writer.toBuffer(),
    embeddingLength: shape.embeddingLength,
    contextLength: shape.contextLength,
    vocabulary: vocabulary.tokens,
  };
}

interface TinyShape {
  embeddingLength: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  blockCount: number;
  contextLength: number;
  headDimension: number;
  keyValueLength: number;
}

function tinyShape(options: TinyGgufOptions): TinyShape {
  const embeddingLength = options.embeddingLength ?? 64;
  const headCount = options.headCount ?? 4;
  const headCountKv = options.headCountKv ?? 2;
  const feedForwardLength = options.feedForwardLength ?? 128;
  const blockCount = options.blockCount ?? 2;
  const contextLength = options.contextLength ?? 256;
  if (embeddingLength % headCount !== 0 || headCount % headCountKv !== 0) {
    throw new RangeError('embeddingLength must divide by headCount, and headCount by headCountKv');
  }
  const headDimension = embeddingLength / headCount;
  const keyValueLength = headDimension * headCountKv;
  return { embeddingLength, headCount, headCountKv, feedForwardLength, blockCount, contextLength, headDimension, keyValueLength };
}

function tinyMetadata(
  shape: TinyShape,
  vocabulary: ReturnType<typeof tinyVocabulary>,
  chatTemplate: string | undefined,
): [string, MetadataValue][] {
  const { embeddingLength, headCount, headCountKv, feedForwardLength, blockCount, contextLength, headDimension } = shape;
  const vocabularySize = vocabulary.tokens.length;
  const metadata: [string, MetadataValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'koivulahti-tiny-random' }],
    ['general.alignment', { type: 'uint32', value: alignment }],
    ['general.file_type', { type: 'uint32', value: 0 }],
    ['llama.vocab_size', { type: 'uint32', value: vocabularySize }],
    ['llama.context_length', { type: 'uint32', value: contextLength }],
    ['llama.embedding_length', { type: 'uint32', value: embeddingLength }],
    ['llama.block_count', { type: 'uint32', value: blockCount }],
    ['llama.feed_forward_length', { type: 'uint32', value: feedForwardLength }],
    ['llama.attention.head_count', { type: 'uint32', value: headCount }],
    ['llama.attention.head_count_kv', { type: 'uint32', value: headCountKv }],
    ['llama.rope.dimension_count', { type: 'uint32', value: headDimension }],
    ['llama.rope.freq_base', { type: 'float32', value: 10_000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string-array', value: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'float32-array', value: vocabulary.scores }],
    ['tokenizer.ggml.token_type', { type: 'int32-array', value: vocabulary.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'uint32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'uint32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'uint32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];
  if (chatTemplate !== undefined) metadata.push(['tokenizer.chat_template', { type: 'string', value: chatTemplate }]);
  return metadata;
}

function tinyTensors(shape: TinyShape, vocabularySize: number): TensorSpec[] {
  const { embeddingLength, feedForwardLength, blockCount, keyValueLength } = shape;
  // Matrix shapes are [input, output]: ggml multiplies along ne[0].
  const tensors: TensorSpec[] = [{ name: 'token_embd.weight', dimensions: [embeddingLength, vocabularySize], fill: 'embedding' }];
  for (let block = 0; block < blockCount; block++) {
    const prefix = `blk.${block}`;
    tensors.push(
      { name: `${prefix}.attn_norm.weight`, dimensions: [embeddingLength], fill: 'ones' },
      { name: `${prefix}.attn_q.weight`, dimensions: [embeddingLength, embeddingLength], fill: 'random' },
      { name: `${prefix}.attn_k.weight`, dimensions: [embeddingLength, keyValueLength], fill: 'random' },
      { name: `${prefix}.attn_v.weight`, dimensions: [embeddingLength, keyValueLength], fill: 'random' },
      { name: `${prefix}.attn_output.weight`, dimensions: [embeddingLength, embeddingLength], fill: 'random' },
      { name: `${prefix}.ffn_norm.weight`, dimensions: [embeddingLength], fill: 'ones' },
      { name: `${prefix}.ffn_gate.weight`, dimensions: [embeddingLength, feedForwardLength], fill: 'random' },
      { name: `${prefix}.ffn_up.weight`, dimensions: [embeddingLength, feedForwardLength], fill: 'random' },
      { name: `${prefix}.ffn_down.weight`, dimensions: [feedForwardLength, embeddingLength], fill: 'random' },
    );
  }
  tensors.push(
    { name: 'output_norm.weight', dimensions: [embeddingLength], fill: 'ones' },
    { name: 'output.weight', dimensions: [embeddingLength, vocabularySize], fill: 'output' },
  );
  return tensors;
}

/** Writes the tensor table (all F32, each aligned); returns each tensor's data size in bytes. */
function writeTensorTable(writer: ByteWriter, tensors: readonly TensorSpec[]): number[] {
  let dataOffset = 0;
  const tensorSizes: number[] = [];
  for (const tensor of tensors) {
    writer.string(tensor.name);
    writer.uint32(tensor.dimensions.length);
    for (const dimension of tensor.dimensions) writer.uint64(dimension);
    writer.uint32(ggmlTypeF32);
    writer.uint64(dataOffset);
    const size = tensor.dimensions.reduce((product, dimension) => product * dimension, 1) * 4;
    tensorSizes.push(size);
    dataOffset += padTo(size, alignment);
  }
  return tensorSizes;
}

function writeTensorData(
  writer: ByteWriter,
  tensors: readonly TensorSpec[],
  tensorSizes: readonly number[],
  types: readonly number[],
  embeddingLength: number,
  seed: number,
): void {
  // Pure noise would emit mostly raw bytes (invalid UTF-8) and end-of-text tokens. Every embedding carries a constant
  // feature in element 0 that survives to the final norm, and element 0 of each output row is a per-token prior: word
  // pieces and ASCII characters up, raw high bytes and control tokens down, so sampled text is mostly readable.
  const prior = types.map((type, token) => {
    if (type === tokenType.normal) return 0.3;
    if (type === tokenType.byte) return token - 3 < 0x80 ? 0 : -0.3;
    return -0.6;
  });
  const rng = Rng.fromSeed(seed);
  tensors.forEach((tensor, index) => {
    const size = tensorSizes[index] ?? 0;
    const data = Buffer.alloc(padTo(size, alignment));
    for (let element = 0; element < size / 4; element++) {
      const noise = (rng.float() * 2 - 1) * 0.08;
      const column = element % embeddingLength;
      const row = Math.floor(element / embeddingLength);
      let value = noise;
      if (tensor.fill === 'ones') value = 1;
      else if (tensor.fill === 'embedding' && column === 0) value = 1;
      else if (tensor.fill === 'output' && column === 0) value = prior[row] ?? 0;
      data.writeFloatLE(value, element * 4);
    }
    writer.raw(data);
  });
}

export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<TinyGgufInfo> {
  const built = buildTinyGguf(options);
  await writeFile(path, built.bytes);
  return {
    path,
    bytes: built.bytes.length,
    embeddingLength: built.embeddingLength,
    contextLength: built.contextLength,
    vocabulary: built.vocabulary,
  };
}

function writeMetadata(writer: ByteWriter, key: string, entry: MetadataValue): void {
  writer.string(key);
  switch (entry.type) {
    case 'uint32':
      writer.uint32(valueType.uint32);
      writer.uint32(entry.value);
      return;
    case 'float32':
      writer.uint32(valueType.float32);
      writer.float32(entry.value);
      return;
    case 'bool':
      writer.uint32(valueType.bool);
      writer.raw(Buffer.from([entry.value ? 1 : 0]));
      return;
    case 'string':
      writer.uint32(valueType.string);
      writer.string(entry.value);
      return;
    case 'string-array':
      writer.uint32(valueType.array);
      writer.uint32(valueType.string);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.string(item);
      return;
    case 'float32-array':
      writer.uint32(valueType.array);
      writer.uint32(valueType.float32);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.float32(item);
      return;
    case 'int32-array':
      writer.uint32(valueType.array);
      writer.uint32(valueType.int32);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.int32(item);
      return;
  }
}

function padTo(size: number, to: number): number {
  return Math.ceil(size / to) * to;
}

class ByteWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  raw(bytes: Buffer): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  uint32(value: number): void {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    this.raw(bytes);
  }

  int32(value: number): void {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32LE(value);
    this.raw(bytes);
  }

  uint64(value: number): void {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt(value));
    this.raw(bytes);
  }

  float32(value: number): void {
    const bytes = Buffer.alloc(4);
    bytes.writeFloatLE(value);
    this.raw(bytes);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.uint64(bytes.length);
    this.raw(bytes);
  }

  padTo(to: number): void {
    const padding = padTo(this.length, to) - this.length;
    if (padding > 0) this.raw(Buffer.alloc(padding));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}
