import { writeFileSync } from 'node:fs';
import { crossEntropy, Rng, Tensor } from '@tapegrad/core';
import {
  Adam, BatchNorm2d, confusionMatrix, Conv2d, CosineAnnealingLR, Dropout, fit, Flatten, Linear, MaxPool2d, MLP, ReLU, Sequential, standardize, trainTestSplit,
  type EpochInfo,
} from '@tapegrad/nn';
import { loadDatasetSync } from '@tapegrad/nn/node';
import { lossCurve } from '@tapegrad/viz';
import type { DemoOptions } from './demo.ts';
import type { Io } from './io.ts';
import { ProgressBar } from './progress.ts';
import { argmaxRows, autogradVsNumeric, eagerVsCompiledEpoch, evaluateClassifier, median, outFiles, printNumericAgreement, rows, trainClassifier, writeJson, type NumericAgreement } from './train-loop.ts';

/** The CNN demo's defaults (`--dataset digits --model cnn`). */
export const CNN_DEFAULTS: Partial<DemoOptions> = { epochs: 15, lr: 0.005, batchSize: 32 };

/** What the CNN demo measured; printed with `--json` and written to `digits-cnn-report.json`. */
export interface CnnDemoReport {
  /** Always `'digits'`. */
  readonly dataset: 'digits';
  /** Always `'cnn'`. */
  readonly model: 'cnn';
  /** The layers, as text. */
  readonly network: string;
  /** Trainable scalars of the CNN. */
  readonly parameters: number;
  /** Sizes of the train/test split (the same stratified split as `--model mlp`). */
  readonly split: { readonly train: number; readonly test: number };
  /** The training options used. */
  readonly options: { readonly epochs: number; readonly seed: number; readonly lr: number; readonly batchSize: number; readonly optimizer: 'adam'; readonly schedule: 'cosine' };
  /** Test accuracy of the CNN. */
  readonly testAccuracy: number;
  /** Test accuracy of the MLP of `pnpm demo --dataset digits` (same split, its defaults) for comparison. */
  readonly mlpTestAccuracy: number;
  /** The MLP's layer widths. */
  readonly mlpSizes: readonly number[];
  /** Autograd vs central differences per parameter on the untrained CNN. */
  readonly agreement: { readonly examples: number; readonly worst: number; readonly isWithinTolerance: boolean; readonly parameters: readonly NumericAgreement[] };
  /**
   * Median training ms per epoch of the CNN (as it trained: compiled, or eager if compile refused) and of
   * the MLP (fast path); then one epoch of the same batches timed eagerly and compiled, side by side
   * (absent when compile refused the step).
   */
  readonly msPerEpoch: { readonly cnn: number; readonly mlp: number; readonly eager?: number; readonly compiled?: number };
  /** Whether `compile` replays the CNN's step (so it trained compiled): `'compiles'`, or why not (the op it refuses). */
  readonly compile: string;
  /** Test confusion matrix of the CNN (rows true, columns predicted). */
  readonly confusionMatrix: number[][];
  /** Per-epoch history of the CNN. */
  readonly history: readonly EpochInfo[];
  /** Paths of the written files. */
  readonly files: { readonly lossSvg: string; readonly report: string };
}

/**
 * The CNN network of the demo: two 3×3 convolutions, each with batch normalization, ReLU and 2×2 max-pooling, then
 * dropout and a linear classifier.
 * @param seed Seed of the initial weights.
 * @returns The network, `[n, 1, 8, 8] → [n, 10]` logits.
 */
export function digitsCnn(seed: number): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1, seed }),
    new BatchNorm2d(16),
    ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1, seed: seed + 1 }),
    new BatchNorm2d(32),
    ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Dropout(0.25, { seed }),
    new Linear(32 * 2 * 2, 10, { seed: seed + 2 }),
  );
}

/**
 * `tapegrad demo --dataset digits --model cnn`: trains the MLP of the plain digits demo (fast path) and a small CNN
 * (autograd) on the same stratified split, checks the CNN's gradients against finite differences, and reports both
 * test accuracies, the CNN's confusion matrix and loss curve.
 * @param opts The options (`epochs`, `lr`, `batchSize`, `seed` apply to the CNN; the MLP keeps the plain demo's).
 * @param mlpOpts The plain demo's options for the MLP baseline.
 * @param io Where to write.
 * @returns The report.
 */
export function runCnnDemo(opts: DemoOptions, mlpOpts: DemoOptions, io: Io): CnnDemoReport {
  const say = opts.isJson ? (): void => {} : (s: string): void => io.out(s);
  const quiet: Io = { ...io, out: say };
  const ds = loadDatasetSync('digits');
  const split = trainTestSplit(ds.x, ds.y, { testSize: 0.2, seed: opts.seed });
  const { yTrain, yTest } = split;
  // Pixels are 0..16: scaled to [0, 1] and shaped as one-channel 8×8 images.
  const images = (x: Tensor): Tensor => Tensor.fromData(Float64Array.from(x.data, (v) => v / 16), [x.shape[0]!, 1, 8, 8], 'float64');
  const xTrain = images(split.xTrain);
  const xTest = images(split.xTest);
  const model = digitsCnn(opts.seed);
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  const network = 'conv 3×3 1→16 (pad 1), batch norm, ReLU, max-pool 2 → conv 3×3 16→32 (pad 1), batch norm, ReLU, max-pool 2 → flatten 128, dropout 0.25 → linear 10';
  say(`tapegrad demo: digits with a convolutional network (${ds.x.shape[0]} images of 8×8, 10 classes)\n`);
  say(`  split ${xTrain.shape[0]} train / ${xTest.shape[0]} test (stratified, seed ${opts.seed}), pixels scaled to [0, 1]\n`);
  say(`  network ${network}, softmax + cross-entropy, ${parameters} parameters\n\n`);

  const examples = 8;
  const batch = rows(xTrain, [0, 1, 2, 3, 4, 5, 6, 7]);
  const labels = rows(yTrain, [0, 1, 2, 3, 4, 5, 6, 7]);
  const agreementRows = autogradVsNumeric(model, () => crossEntropy(model.forward(batch), labels));
  printNumericAgreement(quiet, agreementRows, `${examples} training images`);
  const worst = Math.max(...agreementRows.map((r) => r.relative));

  // The baseline: the plain digits demo's MLP, on the same split (standardized features), fast path.
  const std = standardize(split.xTrain, split.xTest);
  const mlpSizes = [64, ...mlpOpts.hidden, 10];
  const mlp = new MLP({ sizes: mlpSizes, activation: mlpOpts.activation, output: 'softmax', seed: opts.seed });
  say(`Baseline: the MLP ${mlpSizes.join(' → ')} of 'pnpm demo --dataset digits' (${mlpOpts.epochs} epochs, Adam, lr ${mlpOpts.lr}, fast path):\n`);
  const mlpBar = new ProgressBar(quiet, 'MLP');
  const mlpRun = fit(mlp, { x: std.xTrain, y: yTrain, xTest: std.xTest, yTest }, {
    epochs: mlpOpts.epochs, lr: mlpOpts.lr, batchSize: mlpOpts.batchSize, optimizer: 'adam', seed: opts.seed, onEpoch: (e) => mlpBar.update(e),
  });
  const mlpTestAccuracy = mlpRun.epochs.at(-1)!.testAccuracy;

  say(`\nTraining the CNN ${opts.epochs} epochs (Adam, lr ${opts.lr} with cosine decay to 0, batch ${opts.batchSize}, autograd, compiled):\n`);
  const bar = new ProgressBar(quiet, 'CNN');
  const optimizer = new Adam(model.parameters(), { lr: opts.lr });
  const stepsPerEpoch = Math.ceil(xTrain.shape[0]! / opts.batchSize);
  const schedule = new CosineAnnealingLR(optimizer, { tMax: opts.epochs * stepsPerEpoch });
  const order = Array.from({ length: xTrain.shape[0]! }, (_, i) => i);
  const rng = new Rng(opts.seed);
  const { history, compile: compiled } = trainClassifier({
    compile: true,
    model,
    optimizer,
    epochs: opts.epochs,
    batches: function* () {
      rng.shuffle(order);
      for (let s = 0; s < order.length; s += opts.batchSize) {
        const idx = order.slice(s, s + opts.batchSize);
        yield { x: rows(xTrain, idx), y: rows(yTrain, idx) };
      }
    },
    afterStep: () => void schedule.step(),
    evaluate: () => evaluateClassifier(model, xTest, yTest),
    onEpoch: (e) => bar.update(e),
  });
  const testAccuracy = history.at(-1)!.testAccuracy;
  const predicted = argmaxRows(model.forward(xTest));
  const matrix = confusionMatrix(predicted, yTest, 10);
  const msCnn = median(history.map((e) => e.ms));
  const msMlp = median(mlpRun.epochs.map((e) => e.ms));
  say(`\n  test accuracy: CNN ${(100 * testAccuracy).toFixed(2)} % vs MLP ${(100 * mlpTestAccuracy).toFixed(2)} % (same split): ` +
    `${testAccuracy > mlpTestAccuracy ? 'the CNN is better ✓' : 'the CNN is NOT better ✗'}\n`);
  say(`  median time per epoch: CNN ${msCnn.toFixed(1)} ms (autograd${compiled === 'compiles' ? ', compiled' : ''}), MLP ${msMlp.toFixed(1)} ms (fast path)\n`);
  let sideBySide: { eager: number; compiled: number } | undefined;
  if (compiled === 'compiles') {
    // One more epoch of the same batches each way, from the trained weights (put back after each).
    const idx = Array.from({ length: xTrain.shape[0]! }, (_, i) => i);
    const epoch = Array.from({ length: Math.ceil(idx.length / opts.batchSize) }, (_, b) => {
      const part = idx.slice(b * opts.batchSize, (b + 1) * opts.batchSize);
      return { x: rows(xTrain, part), y: rows(yTrain, part) };
    });
    sideBySide = eagerVsCompiledEpoch(model, optimizer, epoch);
    say(`  one epoch of the same batches: eager ${sideBySide.eager.toFixed(1)} ms, compiled ${sideBySide.compiled.toFixed(1)} ms (${(sideBySide.eager / sideBySide.compiled).toFixed(2)}× faster compiled)\n\n`);
  } else say(`  compile (fit({ compile: true })): the CNN step is ${compiled}, so it trained eagerly\n\n`);
  say('Confusion matrix of the CNN (rows: true digit, columns: predicted):\n');
  say(`     ${Array.from({ length: 10 }, (_, j) => String(j).padStart(4)).join('')}\n`);
  matrix.forEach((row, i) => say(`  ${String(i).padEnd(3)}${row.map((v) => String(v).padStart(4)).join('')}\n`));

  const files = outFiles(opts.outDir, 'digits-cnn');
  writeFileSync(files.lossSvg, lossCurve(
    { train: history.map((e) => e.loss), test: history.map((e) => e.testLoss) },
    { title: 'digits: CNN (autograd), cross-entropy per epoch', xLabel: 'epoch', yLabel: 'cross-entropy' },
  ));
  const report: CnnDemoReport = {
    dataset: 'digits',
    model: 'cnn',
    network,
    parameters,
    split: { train: xTrain.shape[0]!, test: xTest.shape[0]! },
    options: { epochs: opts.epochs, seed: opts.seed, lr: opts.lr, batchSize: opts.batchSize, optimizer: 'adam', schedule: 'cosine' },
    testAccuracy,
    mlpTestAccuracy,
    mlpSizes,
    agreement: { examples, worst, isWithinTolerance: worst <= 1e-5, parameters: agreementRows },
    msPerEpoch: { cnn: msCnn, mlp: msMlp, ...sideBySide },
    compile: compiled,
    confusionMatrix: matrix,
    history,
    files,
  };
  writeJson(files.report, report);
  say(`\nWrote ${files.lossSvg} and ${files.report}\n`);
  return report;
}
