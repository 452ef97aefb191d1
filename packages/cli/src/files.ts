import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let tmpCounter = 0;

/**
 * Writes a file so that a failed save never destroys the previous one: the text goes to a temporary
 * file beside the target (same folder, so the rename cannot cross file systems), is flushed, and then
 * renamed over the target in one step. If anything fails (disk full, file too large, a folder in the
 * way), the temporary file is removed and the old file is left exactly as it was.
 * @param path The file to write.
 * @param text Its new contents (UTF-8).
 * @throws The file system's error (with its `code`, e.g. `ENOSPC`) when the file cannot be written.
 * @example
 * ```ts
 * import { writeFileAtomic } from '@tapegrad/cli';
 * import { mkdtempSync, readFileSync } from 'node:fs';
 * import { join } from 'node:path';
 * import { tmpdir } from 'node:os';
 * const path = join(mkdtempSync(join(tmpdir(), 'tg-')), 'report.json');
 * writeFileAtomic(path, '{"ok":true}\n');
 * console.log(readFileSync(path, 'utf8')); // {"ok":true}
 * ```
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    const bytes = Buffer.from(text, 'utf8');
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        // Already failing: the original error is the one to report.
      }
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Makes sure a folder exists and files can be created in it, before any work whose results would go
 * there: creates it (with its parents) and writes and removes a probe file.
 * @param dir The folder.
 * @returns Null when the folder is usable, else the reason (the file system's message).
 * @example
 * ```ts
 * import { checkWritableDir } from '@tapegrad/cli';
 * import { mkdtempSync } from 'node:fs';
 * import { join } from 'node:path';
 * import { tmpdir } from 'node:os';
 * console.log(checkWritableDir(mkdtempSync(join(tmpdir(), 'tg-')))); // null
 * ```
 */
export function checkWritableDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.tapegrad-probe.${process.pid}.${tmpCounter++}`);
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
