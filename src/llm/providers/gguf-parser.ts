/**
 * The GGUF file check of the local provider: reads the header, metadata and tensor table of a model file before
 * llama.cpp sees it, because some malformed files (a duplicate token string, for one) abort the whole process inside
 * llama.cpp.
 */
import { open, stat } from 'node:fs/promises';
import { LlmError } from '../errors.js';
import { messageOf } from './llama-runtime.js';

export interface GgufSummary {
  version: number;
  tensorCount: number;
  metadataCount: number;
  architecture: string | undefined;
  tokenCount: number | undefined;
  fileSize: number;
}

/** ggml tensor types: [elements per block, bytes per block]. Unknown (newer) types skip the size check. */
const ggmlBlockSizes: Record<number, readonly [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
  40: [64, 36], // NVFP4
  41: [128, 18], // Q1_0
  42: [64, 18], // Q2_0
};

/** Byte sizes of GGUF metadata value types (string = 8 and array = 9 are variable). */
const ggufValueSizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const ggufString = 8;
const ggufArray = 9;
const ggufUint32 = 4;

class TruncatedError extends Error {}

/**
 * Reads the header, metadata and tensor table of a GGUF file and checks what would make llama.cpp fail or abort:
 * missing file, bad magic, unsupported version, truncation anywhere, tensor data past the end of the file, and duplicate
 * token strings. Throws `llm_model_invalid` naming the path and the reason.
 */
export async function inspectGgufFile(path: string): Promise<GgufSummary> {
  const invalid = invalidModel(path);
  const fileSize = await sizeOf(path, invalid);
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw invalid(`cannot open the file (${messageOf(error)})`, error);
  });
  const reader = new FileReader(handle, fileSize);
  const position = { section: 'the header' };
  try {
    const magic = await reader.bytes(4);
    if (magic.toString('latin1') !== 'GGUF') {
      throw invalid(`bad magic ${magic.toString('hex')} (expected 47475546, "GGUF")`);
    }
    const version = await reader.uint32();
    if (version !== 2 && version !== 3) throw invalid(`unsupported GGUF version ${version} (llama.cpp reads versions 2 and 3)`);
    const tensorCount = await reader.uint64();
    const metadataCount = await reader.uint64();
    // Every entry takes at least 8 bytes, which bounds the counts of a well-formed file by its size.
    if (tensorCount * 8 > fileSize || metadataCount * 8 > fileSize) {
      throw invalid(`implausible header (${tensorCount} tensors, ${metadataCount} metadata entries in ${fileSize} bytes)`);
    }
    const metadata = await readMetadata(reader, metadataCount, position, invalid);
    await checkTensorData(reader, tensorCount, metadata.alignment, position, invalid);
    const { architecture, tokenCount } = metadata;
    return { version, tensorCount, metadataCount, architecture, tokenCount, fileSize };
  } catch (error) {
    if (error instanceof TruncatedError) throw invalid(`truncated: the file ends (${fileSize} bytes) inside ${position.section}`);
    throw error;
  } finally {
    await handle.close();
  }
}

type Invalid = (reason: string, cause?: unknown) => LlmError;

/** Where the reader is, for the message when the file ends early. */
interface Position {
  section: string;
}

interface Metadata {
  architecture: string | undefined;
  alignment: number;
  tokenCount: number | undefined;
}

function invalidModel(path: string): Invalid {
  return (reason, cause) =>
    new LlmError('llm_model_invalid', `${path} is not a usable GGUF model: ${reason}`, {
      details: { path, reason },
      ...(cause === undefined ? {} : { cause }),
    });
}

async function sizeOf(path: string, invalid: Invalid): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw invalid('not a regular file');
    return info.size;
  } catch (error) {
    if (error instanceof LlmError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new LlmError('llm_model_invalid', `model file not found: ${path}`, { details: { path, reason: 'not found' }, cause: error });
    }
    throw invalid(`cannot read the file (${messageOf(error)})`, error);
  }
}

async function readMetadata(reader: FileReader, count: number, position: Position, invalid: Invalid): Promise<Metadata> {
  const metadata: Metadata = { architecture: undefined, alignment: 32, tokenCount: undefined };
  for (let index = 0; index < count; index++) {
    position.section = `metadata entry ${index}`;
    const key = await reader.string();
    position.section = `metadata "${key}"`;
    const type = await reader.uint32();
    if (type === ggufArray) {
      const tokenCount = await readArray(reader, key, invalid);
      if (tokenCount !== undefined) metadata.tokenCount = tokenCount;
    } else if (type === ggufString) {
      const value = await reader.string();
      if (key === 'general.architecture') metadata.architecture = value;
    } else {
      const size = ggufValueSizes[type];
      if (size === undefined) throw invalid(`metadata "${key}" has unknown type ${type}`);
      if (key === 'general.alignment' && type === ggufUint32) metadata.alignment = await reader.uint32();
      else await reader.skip(size);
    }
  }
  const { alignment } = metadata;
  if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw invalid(`general.alignment ${alignment} is not a power of two`);
  return metadata;
}

/** Reads (or skips) one metadata array; returns the vocabulary size when it is the token list. */
async function readArray(reader: FileReader, key: string, invalid: Invalid): Promise<number | undefined> {
  const itemType = await reader.uint32();
  const count = await reader.uint64();
  if (itemType !== ggufString) {
    const size = ggufValueSizes[itemType];
    if (size === undefined) throw invalid(`metadata "${key}" has an array of unknown type ${itemType}`);
    await reader.skip(size * count);
    return undefined;
  }
  const seen = key === 'tokenizer.ggml.tokens' ? new Map<string, number>() : undefined;
  for (let item = 0; item < count; item++) {
    const text = await reader.string();
    if (seen === undefined) continue;
    // llama.cpp renames empty tokens this way before building its token-to-id map.
    const token = text === '' ? `[EMPTY_${item}]` : text;
    const previous = seen.get(token);
    if (previous !== undefined) {
      throw invalid(`duplicate token string ${JSON.stringify(token)} at ids ${previous} and ${item} (llama.cpp would abort the process)`);
    }
    seen.set(token, item);
  }
  return seen === undefined ? undefined : count;
}

/** Reads the tensor table and checks that every tensor's data lies inside the file. */
async function checkTensorData(reader: FileReader, count: number, alignment: number, position: Position, invalid: Invalid): Promise<void> {
  let dataEnd = 0;
  let lastTensor = '';
  for (let index = 0; index < count; index++) {
    position.section = `tensor info ${index}`;
    const name = await reader.string();
    position.section = `tensor info "${name}"`;
    const dimensionCount = await reader.uint32();
    if (dimensionCount > 4) throw invalid(`tensor "${name}" has ${dimensionCount} dimensions (at most 4)`);
    let elements = 1;
    let innermost = 1;
    for (let dimension = 0; dimension < dimensionCount; dimension++) {
      const length = await reader.uint64();
      if (dimension === 0) innermost = length;
      elements *= length;
    }
    const type = await reader.uint32();
    const offset = await reader.uint64();
    const block = ggmlBlockSizes[type];
    if (block === undefined) continue;
    const [blockElements, blockBytes] = block;
    if (innermost % blockElements !== 0) throw invalid(`tensor "${name}" rows are not whole blocks of its type ${type}`);
    const end = offset + (elements / blockElements) * blockBytes;
    if (end > dataEnd) {
      dataEnd = end;
      lastTensor = name;
    }
  }
  position.section = 'the tensor data';
  const dataStart = Math.ceil(reader.position / alignment) * alignment;
  if (count > 0 && dataStart + dataEnd > reader.size) {
    throw invalid(`truncated: tensor "${lastTensor}" ends at byte ${dataStart + dataEnd} but the file has ${reader.size} bytes`);
  }
}

/** Little-endian reads through a 1 MiB window, so a vocabulary of 250k strings costs a few reads, not 250k. */
class FileReader {
  position = 0;
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly handle: Awaited<ReturnType<typeof open>>,
    readonly size: number,
  ) {}

  async bytes(length: number): Promise<Buffer> {
    const start = await this.ensure(length);
    this.position += length;
    return this.window.subarray(start, start + length);
  }

  async uint32(): Promise<number> {
    const start = await this.ensure(4);
    this.position += 4;
    return this.window.readUInt32LE(start);
  }

  /** A u64 as a number; values past 2^53 cannot describe anything inside a real file and read as truncation. */
  async uint64(): Promise<number> {
    const start = await this.ensure(8);
    this.position += 8;
    const value = this.window.readBigUInt64LE(start);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TruncatedError();
    return Number(value);
  }

  async string(): Promise<string> {
    const length = await this.uint64();
    return (await this.bytes(length)).toString('utf8');
  }

  async skip(length: number): Promise<void> {
    if (this.position + length > this.size) throw new TruncatedError();
    this.position += length;
  }

  private async ensure(length: number): Promise<number> {
    if (this.position + length > this.size) throw new TruncatedError();
    const windowEnd = this.windowStart + this.window.length;
    if (this.position >= this.windowStart && this.position + length <= windowEnd) return this.position - this.windowStart;
    const readLength = Math.min(Math.max(length, 1 << 20), this.size - this.position);
    const window = Buffer.alloc(readLength);
    const { bytesRead } = await this.handle.read(window, 0, readLength, this.position);
    if (bytesRead < length) throw new TruncatedError();
    this.window = window.subarray(0, bytesRead);
    this.windowStart = this.position;
    return 0;
  }
}
