/** Where the command writes: stdout, stderr, and whether stdout is a terminal (for the live progress bar). */
export interface Io {
  /** Writes to standard output (no newline added). */
  readonly out: (text: string) => void;
  /** Writes to standard error (no newline added). */
  readonly err: (text: string) => void;
  /** True when stdout is a terminal: progress redraws one line with `\r`. */
  readonly isTTY: boolean;
}

/**
 * The process's own streams.
 * @returns An {@link Io} on process.stdout and process.stderr.
 */
export function processIo(): Io {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
  };
}

/**
 * An in-memory {@link Io}, for tests and embedding.
 * @returns The Io and the text written so far.
 * @example
 * ```ts
 * import { memoryIo } from '@tapegrad/cli';
 * const { io, stdout } = memoryIo();
 * io.out('hello\n');
 * console.log(JSON.stringify(stdout())); // "hello\n"
 * ```
 */
export function memoryIo(): {
  /** The Io to pass to a command. */
  io: Io;
  /** Everything written to stdout so far. */
  stdout: () => string;
  /** Everything written to stderr so far. */
  stderr: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false },
    stdout: () => out,
    stderr: () => err,
  };
}
