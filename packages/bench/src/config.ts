/**
 * The workload sizes, seed and repetition counts, read from the bench's own
 * copy of `workloads.json` (the shared one's W1–W4, plus the model workloads W5 and W6).
 */
import { readFileSync } from 'node:fs';
import type { W5Config, W6Config } from './models.js';

/** One size of the W1 training-step workload. */
export interface W1Size {
  readonly in: number;
  readonly hidden: readonly number[];
  readonly out: number;
  readonly batch: number;
  readonly lr: number;
  readonly stepsPerRep: number;
  readonly warmupSteps: number;
  readonly reps: number;
}

/** The parsed `workloads.json`. */
export interface WorkloadsConfig {
  readonly seed: number;
  readonly W1: { readonly small: W1Size; readonly big: W1Size; readonly checkSteps: number };
  readonly W2: {
    readonly sizes: readonly number[];
    readonly minRepSeconds: number;
    readonly reps: number;
    readonly warmup: number;
  };
  readonly W3: {
    readonly in: number;
    readonly hidden: readonly number[];
    readonly out: number;
    readonly nonlin: 'relu';
    readonly samples: number;
    readonly noise: number;
    readonly alpha: number;
    readonly lr: number;
    readonly checkSteps: number;
    readonly warmupSteps: number;
    readonly stepsPerRep: number;
    readonly reps: number;
  };
  readonly W4: {
    readonly Ns: readonly number[];
    readonly mul: number;
    readonly add: number;
    readonly x0: number;
  };
  readonly W5: W5Config;
  readonly W6: W6Config;
}

/** Names of the W1 sizes. */
export type W1SizeName = 'small' | 'big';

/**
 * Reads `workloads.json` next to this file.
 *
 * @returns the configuration, checked for the fields the bench uses
 * @throws TypeError when a field is missing or has the wrong type
 */
export function loadConfig(): WorkloadsConfig {
  const text = readFileSync(new URL('./workloads.json', import.meta.url), 'utf8');
  const raw: unknown = JSON.parse(text);
  const cfg = raw as WorkloadsConfig;
  const numbers: [string, unknown][] = [
    ['seed', cfg.seed],
    ['W1.small.batch', cfg.W1?.small?.batch],
    ['W1.big.batch', cfg.W1?.big?.batch],
    ['W1.checkSteps', cfg.W1?.checkSteps],
    ['W2.reps', cfg.W2?.reps],
    ['W3.samples', cfg.W3?.samples],
    ['W4.mul', cfg.W4?.mul],
    ['W5.batch', cfg.W5?.batch],
    ['W6.batch', cfg.W6?.batch],
  ];
  for (const [name, value] of numbers) {
    if (typeof value !== 'number') {
      throw new TypeError(`workloads.json: ${name} must be a number, got ${typeof value}`);
    }
  }
  if (!Array.isArray(cfg.W2.sizes) || !Array.isArray(cfg.W4.Ns)) {
    throw new TypeError('workloads.json: W2.sizes and W4.Ns must be arrays');
  }
  return cfg;
}
