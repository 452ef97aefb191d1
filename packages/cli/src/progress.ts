import type { EpochInfo } from '@tapegrad/nn';
import type { Io } from './io.ts';

const WIDTH = 24;

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

function pct(x: number): string {
  return Number.isNaN(x) ? '   –  ' : `${(100 * x).toFixed(1).padStart(5)}%`;
}

/** One line of progress: label, bar, epoch, loss, accuracy, test accuracy, ETA. */
export function progressLine(label: string, info: EpochInfo): string {
  const filled = Math.round((WIDTH * info.epoch) / info.epochs);
  const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
  const eta = (info.elapsedMs / info.epoch) * (info.epochs - info.epoch);
  const w = String(info.epochs).length;
  return (
    `${label.padEnd(9)} ${bar} epoch ${String(info.epoch).padStart(w)}/${info.epochs}  loss ${info.loss.toFixed(4)}  ` +
    `acc ${pct(info.accuracy)}  test ${pct(info.testAccuracy)}  ${info.epoch === info.epochs ? `done in ${seconds(info.elapsedMs)}` : `ETA ${seconds(eta)}`}`
  );
}

/**
 * A live progress bar: on a terminal it redraws one line with `\r`; otherwise it prints plain lines
 * (about ten per run, and always the last epoch) so logs stay readable.
 */
export class ProgressBar {
  readonly #io: Io;
  readonly #label: string;
  #width = 0;

  constructor(io: Io, label: string) {
    this.#io = io;
    this.#label = label;
  }

  /** Shows the state after one epoch. */
  update(info: EpochInfo): void {
    const line = progressLine(this.#label, info);
    const isLast = info.epoch === info.epochs;
    if (this.#io.isTTY) {
      this.#io.out(`\r${line}${' '.repeat(Math.max(0, this.#width - line.length))}${isLast ? '\n' : ''}`);
      this.#width = line.length;
    } else if (isLast || info.epoch === 1 || info.epoch % Math.ceil(info.epochs / 10) === 0) {
      this.#io.out(`${line}\n`);
    }
  }
}
