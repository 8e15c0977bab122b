/**
 * Atomic file writes: a temp file beside the target, fsync, rename over it, fsync the folder.
 * A crash or error leaves the old file intact; a failure is a FileError naming the target.
 */
import { open, rename, rm } from 'node:fs/promises';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fileError } from '../util/errors.js';

const WRITABLE = 'a writable file path in an existing folder';

function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Replace `path` with `data` atomically: write a temp file beside it, fsync, rename over the
 * target, fsync the directory (best effort). A crash or error leaves the old file intact and
 * removes the temp file.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fileError(e, path, WRITABLE);
  }
  // Directory fsync makes the rename durable; unsupported on some platforms (Windows): best effort.
  await open(dirname(path), 'r')
    .then((d) => d.sync().finally(() => d.close()))
    .catch(() => undefined);
}

/** Synchronous {@link writeFileAtomic}. */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  const withFd = (file: string, flags: string, body: (fd: number) => void): void => {
    const fd = fs.openSync(file, flags);
    try {
      body(fd);
    } finally {
      fs.closeSync(fd);
    }
  };
  try {
    withFd(tmp, 'wx', (fd) => {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    });
    fs.renameSync(tmp, path);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // keep the original error
    }
    throw fileError(e, path, WRITABLE);
  }
  try {
    withFd(dirname(path), 'r', fs.fsyncSync);
  } catch {
    // best effort, as in writeFileAtomic
  }
}
