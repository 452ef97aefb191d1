import { join, resolve } from 'node:path';
import {
  AGREEMENT_TOLERANCE,
  compareGradients, confusionMatrix, fit, MLP, standardize, trainTestSplit,
  type DatasetName, type EpochInfo, type GradientAgreement,
} from '@tapegrad/nn';
import { loadDatasetSync } from '@tapegrad/nn/node';
import { ArgumentError, tensor, type Tensor } from '@tapegrad/core';
import { lossCurve } from '@tapegrad/viz';
import { writeFileAtomic } from './files.ts';
import type { Io } from './io.ts';
import { median } from './train-loop.ts';
import { ProgressBar } from './progress.ts';

/** Options of the demo, as the command line sets them. */
export interface DemoOptions {
  /** The data set (`--dataset`): `breastCancer`, `digits` or `words`. */
  readonly dataset: DatasetName | 'words';
  /** The network (`--model`): `mlp` (default), `cnn` (digits) or `transformer` (words). */
  readonly model: 'mlp' | 'cnn' | 'transformer';
  /** Characters of context of the words models (`--context`). */
  readonly contextSize: number;
  /** Training epochs (`--epochs`). */
  readonly epochs: number;
  /** Seed of the split, the initial weights and the minibatch order (`--seed`). */
  readonly seed: number;
  /** Adam learning rate (`--lr`). */
  readonly lr: number;
  /** Hidden layer widths (`--hidden`). */
  readonly hidden: readonly number[];
  /** Minibatch size (`--batch-size`). */
  readonly batchSize: number;
  /** Hidden activation (`--activation`). */
  readonly activation: 'relu' | 'tanh' | 'sigmoid';
  /** Training examples in the gradient agreement check (`--agreement-examples`). */
  readonly agreementExamples: number;
  /** Print one JSON object (the report) instead of the tables and progress bar (`--json`). */
  readonly isJson: boolean;
  /** Folder that receives `loss.svg` and `report.json` (`--out`). */
  readonly outDir: string;
}

/** Writing the results failed after training: carries the report, so it is not lost. */
export class DemoWriteError extends Error {
  /** The report that could not be written. */
  readonly report: DemoReport;

  /**
   * @param message What failed.
   * @param report The finished report.
   */
  constructor(message: string, report: DemoReport) {
    super(message);
    this.name = 'DemoWriteError';
    this.report = report;
  }
}

/** The demo's defaults. */
export const DEMO_DEFAULTS: DemoOptions = {
  dataset: 'breastCancer',
  model: 'mlp',
  contextSize: 3,
  epochs: 30,
  seed: 1,
  lr: 0.003,
  hidden: [32],
  batchSize: 32,
  activation: 'relu',
  agreementExamples: 32,
  isJson: false,
  outDir: 'out',
};

/** What the demo measured; printed with `--json` and written to `out/report.json`. */
export interface DemoReport {
  /** The data set trained on. */
  readonly dataset: DatasetName;
  /** The network that was trained. */
  readonly network: {
    /** Layer widths, input to output. */
    readonly sizes: readonly number[];
    /** Hidden activation. */
    readonly activation: string;
    /** Output nonlinearity: `sigmoid` (two classes) or `softmax`. */
    readonly output: string;
    /** Number of trainable scalars. */
    readonly parameters: number;
  };
  /** Sizes of the train/test split. */
  readonly split: {
    /** Training examples. */
    readonly train: number;
    /** Test examples. */
    readonly test: number;
  };
  /** The training options used. */
  readonly options: {
    /** Training epochs. */
    readonly epochs: number;
    /** Seed of split, weights and batches. */
    readonly seed: number;
    /** Learning rate. */
    readonly lr: number;
    /** Minibatch size. */
    readonly batchSize: number;
    /** The optimizer (always Adam). */
    readonly optimizer: 'adam';
  };
  /** Test accuracy of the network trained on the fast path. */
  readonly testAccuracy: number;
  /** Test accuracy of the same network trained the same epochs with the generic engine. */
  readonly testAccuracyAutograd: number;
  /** Gradient agreement of the untrained network, as {@link @tapegrad/nn!compareGradients | compareGradients} measures it. */
  readonly agreement: {
    /** Largest relative difference of fast path vs autograd. */
    readonly fastVsAutograd: number;
    /** Largest relative difference of autograd vs finite differences. */
    readonly autogradVsNumeric: number;
    /** Largest relative difference of fast path vs finite differences. */
    readonly fastVsNumeric: number;
    /** Both analytic gradients within gradcheck tolerance of the numeric one everywhere. */
    readonly isWithinTolerance: boolean;
    /** Training examples in the check. */
    readonly examples: number;
    /** One entry per parameter tensor. */
    readonly parameters: GradientAgreement['parameters'];
  };
  /** Median training milliseconds per epoch (robust to JIT warm-up, GC pauses and load spikes), their ratio, and the means. */
  readonly msPerEpoch: {
    /** Median ms per epoch on the fast path. */
    readonly fast: number;
    /** Median ms per epoch with the generic engine. */
    readonly autograd: number;
    /** Median ms per epoch with the generic engine's step compiled (`fit({ compile: true })`). */
    readonly compiled: number;
    /** autograd / fast. */
    readonly ratio: number;
    /** Mean ms per epoch on the fast path. */
    readonly meanFast: number;
    /** Mean ms per epoch with the generic engine. */
    readonly meanAutograd: number;
  };
  /** Class names, in label order. */
  readonly classes: readonly string[];
  /** Test-set confusion matrix of the fast-path model: rows are true classes, columns predicted. */
  readonly confusionMatrix: number[][];
  /** Per-epoch training history of each run. */
  readonly history: {
    /** The fast-path run. */
    readonly fast: readonly EpochInfo[];
    /** The generic-engine run. */
    readonly autograd: readonly EpochInfo[];
    /** The compiled generic-engine run (same start and batches). */
    readonly compiled: readonly EpochInfo[];
  };
  /** Paths of the written files. */
  readonly files: {
    /** The loss curve, `loss.svg`. */
    readonly lossSvg: string;
    /** This report, `report.json`. */
    readonly report: string;
  };
}

const sci = (x: number): string => (Number.isNaN(x) ? 'n/a' : x === 0 ? '0' : x.toExponential(2));
const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Prints the three-way gradient agreement table. */
function printAgreement(io: Io, r: GradientAgreement, examples: number): void {
  io.out(`Gradient agreement on the untrained network (${examples} training examples, float64):\n`);
  io.out('  relative difference = max|a − b| / max|b| per tensor (b: the second method)\n\n');
  const head = `  ${'parameter'.padEnd(11)} ${'shape'.padEnd(9)} ${'fast vs autograd'.padStart(17)} ${'autograd vs numeric'.padStart(20)} ${'fast vs numeric'.padStart(16)}`;
  io.out(`${head}\n  ${'─'.repeat(head.length - 2)}\n`);
  for (const p of r.parameters) {
    io.out(
      `  ${p.name.padEnd(11)} ${shapeText(p.shape).padEnd(9)} ${sci(p.fastVsAutograd.relative).padStart(17)} ` +
        `${sci(p.autogradVsNumeric?.relative ?? NaN).padStart(20)} ${sci(p.fastVsNumeric?.relative ?? NaN).padStart(16)}\n`,
    );
  }
  io.out(`  ${'max'.padEnd(21)} ${sci(r.fastVsAutograd).padStart(17)} ${sci(r.autogradVsNumeric).padStart(20)} ${sci(r.fastVsNumeric).padStart(16)}\n`);
  io.out(
    `  fast path vs autograd ${r.fastVsAutograd <= AGREEMENT_TOLERANCE ? `≤ ${AGREEMENT_TOLERANCE} ✓` : `> ${AGREEMENT_TOLERANCE} ✗`}; both within gradcheck tolerance of finite differences: ` +
      `${r.isWithinTolerance ? 'yes ✓' : 'NO ✗'}\n\n`,
  );
}

function printConfusion(io: Io, m: number[][], classes: readonly string[]): void {
  const w = Math.max(5, ...classes.map((c) => c.length), ...m.flat().map((v) => String(v).length)) + 1;
  io.out(`Confusion matrix (rows: true class, columns: predicted):\n`);
  io.out(`  ${''.padEnd(w)}${classes.map((c) => c.padStart(w)).join('')}\n`);
  m.forEach((row, i) => io.out(`  ${(classes[i] ?? String(i)).padEnd(w)}${row.map((v) => String(v).padStart(w)).join('')}\n`));
}

/** The first `rows` rows of a tensor (the agreement batch). */
function rowsOf(t: Tensor, rows: number): Tensor {
  const width = t.size / t.shape[0]!;
  return tensor(t.data.slice(0, rows * width), { shape: [rows, ...t.shape.slice(1)], dtype: t.dtype });
}

/**
 * The main demo: loads and standardizes a data set, splits it (seeded), prints the gradient agreement
 * table for the untrained network, trains on the fast path with a live progress bar, trains the same
 * epochs from the same start with the generic engine, then prints timings, test accuracy and the confusion
 * matrix and writes `loss.svg` and `report.json` to the output folder.
 * @param opts The options.
 * @param io Where to write.
 * @returns The report.
 */
export function runDemo(opts: DemoOptions, io: Io): DemoReport {
  const say = opts.isJson ? (): void => {} : (s: string): void => io.out(s);
  const quiet: Io = { ...io, out: say };
  if (opts.dataset === 'words') throw new ArgumentError("demo: the words data set is trained by runWordsDemo, got it in runDemo");
  const ds = loadDatasetSync(opts.dataset);
  const split = trainTestSplit(ds.x, ds.y, { testSize: 0.2, seed: opts.seed });
  const { xTrain, xTest } = standardize(split.xTrain, split.xTest);
  const { yTrain, yTest } = split;
  const k = ds.classes.length === 2 ? 1 : ds.classes.length;
  const output = k === 1 ? 'sigmoid' : 'softmax';
  const sizes = [xTrain.shape[1]!, ...opts.hidden, k];
  const model = new MLP({ sizes, activation: opts.activation, output, seed: opts.seed });
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  say(`tapegrad demo: ${ds.name} (${ds.x.shape[0]} examples, ${xTrain.shape[1]} features, ${ds.classes.length} classes: ${ds.classes.join(', ')})\n`);
  say(`  split ${xTrain.shape[0]} train / ${xTest.shape[0]} test (stratified, seed ${opts.seed}), standardized with training statistics\n`);
  say(`  network ${sizes.join(' → ')}, ${opts.activation} hidden, ${output === 'sigmoid' ? 'sigmoid + binary cross-entropy' : 'softmax + cross-entropy'}, ${parameters} parameters\n\n`);

  const examples = Math.min(opts.agreementExamples, xTrain.shape[0]!);
  const agreement = compareGradients(model, rowsOf(xTrain, examples), rowsOf(yTrain, examples));
  printAgreement(quiet, agreement, examples);

  const initial = model.stateDict();
  const data = { x: xTrain, y: yTrain, xTest, yTest };
  const common = { epochs: opts.epochs, lr: opts.lr, batchSize: opts.batchSize, optimizer: 'adam' as const, seed: opts.seed };
  say(`Training ${opts.epochs} epochs (Adam, lr ${opts.lr}, batch ${opts.batchSize}):\n`);
  const fastBar = new ProgressBar(quiet, 'fast path');
  const fast = fit(model, data, { ...common, engine: 'fast', onEpoch: (e) => fastBar.update(e) });
  const predicted = model.predictClasses(xTest);
  const testAccuracy = fast.epochs[fast.epochs.length - 1]!.testAccuracy;
  const matrix = confusionMatrix(predicted, yTest, ds.classes.length);
  const trained = model.stateDict();

  model.loadStateDict(initial);
  const autoBar = new ProgressBar(quiet, 'autograd');
  const auto = fit(model, data, { ...common, engine: 'autograd', onEpoch: (e) => autoBar.update(e) });
  const testAccuracyAutograd = auto.epochs[auto.epochs.length - 1]!.testAccuracy;
  model.loadStateDict(initial);
  const compiledBar = new ProgressBar(quiet, 'compiled');
  const compiled = fit(model, data, { ...common, engine: 'autograd', compile: true, onEpoch: (e) => compiledBar.update(e) });
  model.loadStateDict(trained);
  const msFast = median(fast.epochs.map((e) => e.ms));
  const msAuto = median(auto.epochs.map((e) => e.ms));
  const msCompiled = median(compiled.epochs.map((e) => e.ms));
  const ratio = msAuto / msFast;
  say(`\n  median time per epoch: fast path ${msFast.toFixed(2)} ms, autograd ${msAuto.toFixed(2)} ms, autograd compiled ${msCompiled.toFixed(2)} ms (eager autograd takes ${ratio.toFixed(2)}× the fast path's time; compiled, ${(msCompiled / msFast).toFixed(2)}×)\n`);
  say(`  test accuracy: ${(100 * testAccuracy).toFixed(2)} % (fast path), ${(100 * testAccuracyAutograd).toFixed(2)} % (autograd, same start and batches)\n\n`);
  printConfusion(quiet, matrix, ds.classes);

  const outDir = resolve(opts.outDir);
  const lossSvg = join(outDir, 'loss.svg');
  const reportPath = join(outDir, 'report.json');
  const svg =
    lossCurve(
      { train: fast.epochs.map((e) => e.loss), test: fast.epochs.map((e) => e.testLoss) },
      {
        title: `${ds.name}: ${sizes.join('-')} MLP on the fast path, loss per epoch`,
        xLabel: 'epoch',
        yLabel: output === 'sigmoid' ? 'binary cross-entropy' : 'cross-entropy',
      },
    );
  const report: DemoReport = {
    dataset: ds.name as DatasetName,
    network: { sizes, activation: opts.activation, output, parameters },
    split: { train: xTrain.shape[0]!, test: xTest.shape[0]! },
    options: { epochs: opts.epochs, seed: opts.seed, lr: opts.lr, batchSize: opts.batchSize, optimizer: 'adam' },
    testAccuracy,
    testAccuracyAutograd,
    agreement: {
      fastVsAutograd: agreement.fastVsAutograd,
      autogradVsNumeric: agreement.autogradVsNumeric,
      fastVsNumeric: agreement.fastVsNumeric,
      isWithinTolerance: agreement.isWithinTolerance,
      examples,
      parameters: agreement.parameters,
    },
    msPerEpoch: { fast: msFast, autograd: msAuto, compiled: msCompiled, ratio, meanFast: fast.msPerEpoch, meanAutograd: auto.msPerEpoch },
    classes: ds.classes,
    confusionMatrix: matrix,
    history: { fast: fast.epochs, autograd: auto.epochs, compiled: compiled.epochs },
    files: { lossSvg, report: reportPath },
  };
  // Each file is replaced in one step: a save that fails (disk full) leaves the previous file whole. The
  // report is still returned (and printed with --json): the caller learns of the failure from the error.
  try {
    writeFileAtomic(lossSvg, svg);
    writeFileAtomic(reportPath, JSON.stringify(report, null, 2) + '\n');
  } catch (e) {
    throw new DemoWriteError(`could not write the results to ${outDir}: ${e instanceof Error ? e.message : String(e)}`, report);
  }
  say(`\nWrote ${lossSvg} and ${reportPath}\n`);
  return report;
}
