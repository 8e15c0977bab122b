/**
 * safetensors files: read and write the Hugging Face tensor file format (the bytes are
 * ./safetensors-format.ts, platform-neutral). Errors name the file; writes are atomic (see atomic.ts).
 */
import { readFile } from 'node:fs/promises';
import * as fs from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from './atomic.js';
import { fileError } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors as encodeBytes, type StFile, type StTensor } from './safetensors-format.js';

export * from './safetensors-format.js';

/** {@link encodeBytes} as a Node Buffer (the Node API's type; same bytes, no copy). */
export function encodeSafetensors(tensors: Record<string, StTensor>, metadata?: Record<string, string>): Buffer {
  const b = encodeBytes(tensors, metadata);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Read and validate a safetensors file; errors name the file. */
export async function readSafetensors(path: string): Promise<StFile> {
  const bytes = await readFile(path).catch((e: unknown) => {
    throw fileError(e, path, 'a readable safetensors file');
  });
  return decodeSafetensors(bytes, path);
}

/** Synchronous {@link readSafetensors}. */
export function readSafetensorsSync(path: string): StFile {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw fileError(e, path, 'a readable safetensors file');
  }
  return decodeSafetensors(bytes, path);
}

/** Encode and atomically write a safetensors file (encoding errors happen before any file is touched). */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, StTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Synchronous {@link writeSafetensors}. */
export function writeSafetensorsSync(
  path: string,
  tensors: Record<string, StTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomicSync(path, encodeSafetensors(tensors, metadata));
}
