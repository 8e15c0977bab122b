/**
 * Training checkpoints as files (the format, encode and decode: ./checkpoint-format.ts). Writes are
 * atomic: the old file stays intact until the new one is complete on disk.
 */
import { readSafetensors, readSafetensorsSync } from './safetensors.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomic.js';
import { encodeCheckpoint as encodeBytes, checkpointFromFile, type Checkpoint } from './checkpoint-format.js';

export * from './checkpoint-format.js';

/** {@link encodeBytes} as a Node Buffer (the Node API's type; same bytes, no copy). */
export function encodeCheckpoint(ck: Checkpoint): Buffer {
  const b = encodeBytes(ck);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Write a checkpoint atomically (temp file, fsync, rename): a failed or interrupted save leaves
 * the previous file at `path` intact. Encoding errors are thrown before any file is touched.
 * @example
 * await saveCheckpoint('ckpt/last.safetensors', { model: model.stateDict(), optimizer: opt.stateDict(), extra: { epoch } });
 */
export async function saveCheckpoint(path: string, ck: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(ck));
}

/** Synchronous {@link saveCheckpoint}. */
export function saveCheckpointSync(path: string, ck: Checkpoint): void {
  writeFileAtomicSync(path, encodeCheckpoint(ck));
}

/**
 * Read a checkpoint written by {@link saveCheckpoint}.
 * @throws FormatError (naming the file) for malformed files.
 * @example
 * const { model, optimizer, extra } = await loadCheckpoint('ckpt/last.safetensors');
 * net.loadStateDict(model); opt.loadStateDict(optimizer!);
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return checkpointFromFile(await readSafetensors(path), path);
}

/** Synchronous {@link loadCheckpoint}. */
export function loadCheckpointSync(path: string): Checkpoint {
  return checkpointFromFile(readSafetensorsSync(path), path);
}
