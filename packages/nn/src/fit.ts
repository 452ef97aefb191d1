import { ArgumentError, compile, noGrad, type Tensor } from '@tapegrad/core';
import { accuracy, DataLoader } from './data.ts';
import { fastForward, fastLoss, fastStepShared } from './fast-path.ts';
import { classesOf, MLP, outputLoss } from './mlp.ts';
import type { Module } from './module.ts';
import { Adam, AdamW, Optimizer, SGD } from './optim.ts';
import { checkInt, checkNumber } from './util.ts';

/** Which gradient engine trains the network. @category nn */
export type Engine = 'fast' | 'autograd';

/** A model {@link fit} can train: any {@link Module} with a scalar loss (an {@link MLP} is one). @category nn */
export interface Trainable extends Module {
  /** The scalar loss of the model on `(x, y)`, on the tape. */
  loss(x: Tensor, y: Tensor): Tensor;
  /** Optional: class predictions, for the accuracy metrics (without it accuracy is NaN). */
  predictClasses?(x: Tensor): Int32Array;
}

/** What one training step reports: the batch's loss (before the update) and its predicted classes (empty for regression). @category nn */
export interface StepResult {
  /** The mean loss of the batch. */
  readonly loss: number;
  /** One predicted class per example; empty when the model is not a classifier. */
  readonly predicted: Int32Array;
}

/**
 * One training step on a minibatch: leaves ∂loss/∂w in every parameter's `.grad` (the optimizer then
 * applies them). Built once per engine, so `fit`'s loop does not know how gradients are made.
 * @category nn
 */
export type TrainStep = (x: Tensor, y: Tensor) => StepResult;

/**
 * The hand-derived training step of an {@link MLP} (see `fastStep`): owns the examples-as-columns layout.
 * @param model The network.
 * @returns Its {@link TrainStep}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { fastTrainStep, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [2, 3, 1], seed: 1 });
 * const r = fastTrainStep(net)(tensor([[1, 2]]), tensor([1]));
 * console.log(r.predicted.length, net.parameters()[0]!.grad !== null); // 1 true
 * ```
 * @category nn
 */
export function fastTrainStep(model: MLP): TrainStep {
  const k = model.sizes[model.sizes.length - 1]!;
  const isClassifier = model.output !== 'identity';
  return (x, y) => {
    // The workspace's Ŷ, read before anything else runs on the model: fastStep's copies of every
    // intermediate would be allocated and dropped each step.
    const pass = fastStepShared(model, x, y);
    return { loss: pass.loss, predicted: isClassifier ? classesOfColumns(pass.Yhat, x.shape[0]!, k) : new Int32Array(0) };
  };
}

/**
 * The generic engine's training step: `loss(x, y).backward()`. For an {@link MLP} the classes come from
 * the same forward pass's logits; for another model, from its `predictClasses` if it has one.
 * @param model Any module with a loss.
 * @returns Its {@link TrainStep}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { autogradTrainStep, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [2, 3, 1], seed: 1 });
 * console.log(autogradTrainStep(net)(tensor([[1, 2]]), tensor([1])).loss > 0); // true
 * ```
 * @category nn
 */
export function autogradTrainStep(model: Trainable): TrainStep {
  if (model instanceof MLP) {
    const k = model.sizes[model.sizes.length - 1]!;
    const isClassifier = model.output !== 'identity';
    return (x, y) => {
      const z = model.forward(x);
      const l = outputLoss(model.output, z, y);
      l.backward();
      // arg-max of the logits is the arg-max of softmax; for one sigmoid output σ(z) ≥ 0.5 ⇔ z ≥ 0
      const predicted = !isClassifier ? new Int32Array(0) : k === 1 ? Int32Array.from(z.data, (v) => (v >= 0 ? 1 : 0)) : classesOf(z);
      return { loss: l.item(), predicted };
    };
  }
  return (x, y) => {
    const l = model.loss(x, y);
    l.backward();
    return { loss: l.item(), predicted: model.predictClasses === undefined ? new Int32Array(0) : noGrad(() => model.predictClasses!(x)) };
  };
}

/**
 * The generic engine's training step, compiled with core's `compile`: the forward pass, the loss and its
 * backward pass are traced on the first batch of each shape and replayed after that with planned
 * buffers and fused elementwise loops, no tape. The optimizer's update runs after it, as with
 * {@link autogradTrainStep}; the gradients are the same numbers.
 * @param model Any module with a loss whose ops `compile` can replay.
 * @returns Its {@link TrainStep}.
 * @throws {@link @tapegrad/core!CompileError | CompileError} on the first batch when the model cannot be traced faithfully.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { compiledTrainStep, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [2, 3, 1], seed: 1 });
 * const step = compiledTrainStep(net);
 * const x = tensor([[1, 2]]);
 * const y = tensor([1]);
 * const first = step(x, y).loss;
 * for (const p of net.parameters()) p.grad = null;
 * console.log(step(x, y).loss === first); // true
 * ```
 * @category nn
 */
export function compiledTrainStep(model: Trainable): TrainStep {
  if (model instanceof MLP) {
    const k = model.sizes[model.sizes.length - 1]!;
    const isClassifier = model.output !== 'identity';
    const run = compile((x: Tensor, y: Tensor) => {
      const z = model.forward(x);
      const l = outputLoss(model.output, z, y);
      l.backward();
      return { l, z };
    });
    return (x, y) => {
      const { l, z } = run(x, y);
      const predicted = !isClassifier ? new Int32Array(0) : k === 1 ? Int32Array.from(z.data, (v) => (v >= 0 ? 1 : 0)) : classesOf(z);
      return { loss: l.item(), predicted };
    };
  }
  const run = compile((x: Tensor, y: Tensor) => {
    const l = model.loss(x, y);
    l.backward();
    return l;
  });
  return (x, y) => {
    const l = run(x, y);
    return { loss: l.item(), predicted: model.predictClasses === undefined ? new Int32Array(0) : noGrad(() => model.predictClasses!(x)) };
  };
}

/** Training and (optional) held-out data: features as rows, targets as {@link MLP.loss} takes them. @category nn */
export interface FitData {
  /** Training features `[m, n_0]`. */
  readonly x: Tensor;
  /** Training targets. */
  readonly y: Tensor;
  /** Held-out features, evaluated after every epoch. */
  readonly xTest?: Tensor;
  /** Held-out targets. */
  readonly yTest?: Tensor;
}

/** Metrics of one epoch, as `fit` reports them to `onEpoch`. @category nn */
export interface EpochInfo {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Total epochs. */
  readonly epochs: number;
  /** Mean training loss over the epoch's minibatches (weighted by batch size, before each update). */
  readonly loss: number;
  /** Training accuracy over the epoch's minibatches (before each update); NaN for identity output. */
  readonly accuracy: number;
  /** Held-out loss after the epoch (NaN without held-out data). */
  readonly testLoss: number;
  /** Held-out accuracy after the epoch (NaN without held-out data or for identity output). */
  readonly testAccuracy: number;
  /** Milliseconds spent training this epoch (evaluation excluded). */
  readonly ms: number;
  /** Training milliseconds so far. */
  readonly elapsedMs: number;
}

/** Options of {@link fit}. @category nn */
export interface FitOptions {
  /** `'fast'` (the hand-derived path; the default for an {@link MLP}) or `'autograd'` (the generic engine; the default otherwise). */
  readonly engine?: Engine;
  /** A training step of your own (overrides `engine`), e.g. from {@link autogradTrainStep}. */
  readonly step?: TrainStep;
  /** Compile the generic engine's step ({@link compiledTrainStep}); implies `engine: 'autograd'`. */
  readonly compile?: boolean;
  /** Passes over the training data (default 10). */
  readonly epochs?: number;
  /** Learning rate (default 0.01 for Adam/AdamW, 0.1 for SGD). */
  readonly lr?: number;
  /** Minibatch size (default 32). */
  readonly batchSize?: number;
  /** `'adam'` (default), `'adamw'`, `'sgd'` (momentum 0.9), or an optimizer built on `model.parameters()`. */
  readonly optimizer?: 'sgd' | 'adam' | 'adamw' | Optimizer;
  /** Seed of the minibatch shuffles (default 0): the same seed and model give bit-identical losses. */
  readonly seed?: number;
  /** Called after every epoch. */
  readonly onEpoch?: (info: EpochInfo) => void;
}

/** What {@link fit} returns. @category nn */
export interface FitHistory {
  /** The engine used. */
  readonly engine: Engine;
  /** Per-epoch metrics. */
  readonly epochs: readonly EpochInfo[];
  /** Mean training milliseconds per epoch. */
  readonly msPerEpoch: number;
}

function makeOptimizer(model: Module, opt: FitOptions['optimizer'], lr: number | undefined): Optimizer {
  if (opt instanceof Optimizer) {
    if (lr !== undefined) opt.lr = checkNumber('fit', 'lr', lr);
    return opt;
  }
  const params = model.parameters();
  switch (opt ?? 'adam') {
    case 'adam': return new Adam(params, { lr: lr ?? 0.01 });
    case 'adamw': return new AdamW(params, { lr: lr ?? 0.01 });
    case 'sgd': return new SGD(params, { lr: lr ?? 0.1, momentum: 0.9 });
    default: throw new ArgumentError(`fit: optimizer must be 'sgd', 'adam', 'adamw' or an Optimizer, got ${String(opt)}`);
  }
}

/**
 * Trains a model with minibatches: an {@link MLP} on the fast path or with the generic engine, any other
 * {@link Trainable} module with the generic engine (or a `step` of your own). The training step is built
 * once per engine ({@link fastTrainStep}, {@link autogradTrainStep}); the loop only calls it and the
 * optimizer. Both engines see the same seeded batches and use the same optimizer rule, so for a given
 * seed they follow the same trajectory up to rounding (their gradients agree to about 1e-15 relative).
 * @param model The model; its parameters are updated in place.
 * @param data `{ x, y, xTest?, yTest? }`.
 * @param opts `engine`, `step`, `epochs`, `lr`, `batchSize`, `optimizer`, `seed`, `onEpoch`.
 * @returns Per-epoch metrics and the mean time per epoch.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a bad option.
 * @example
 * ```ts
 * import { loadDataset, fit, MLP, standardize, trainTestSplit } from '@tapegrad/nn';
 * const ds = await loadDataset('breastCancer');
 * const s = trainTestSplit(ds.x, ds.y, { seed: 1 });
 * const { xTrain, xTest } = standardize(s.xTrain, s.xTest);
 * const net = new MLP({ sizes: [30, 16, 1], seed: 1 });
 * const h = fit(net, { x: xTrain, y: s.yTrain, xTest, yTest: s.yTest }, { epochs: 5 });
 * console.log(h.epochs.at(-1)!.testAccuracy > 0.9); // true
 * ```
 * @category nn
 */
export function fit(model: Trainable, data: FitData, opts: FitOptions = {}): FitHistory {
  const engine = opts.engine ?? (model instanceof MLP && opts.compile !== true ? 'fast' : 'autograd');
  if (opts.compile === true && engine === 'fast') throw new ArgumentError("fit: compile applies to the generic engine; use engine 'autograd' (or leave engine out)");
  if (engine !== 'fast' && engine !== 'autograd') throw new ArgumentError(`fit: engine must be 'fast' or 'autograd', got '${String(engine)}'`);
  if (engine === 'fast' && opts.step === undefined && !(model instanceof MLP)) {
    throw new ArgumentError(`fit: engine 'fast' trains an MLP only, got a ${model.constructor.name}; use engine 'autograd'`);
  }
  const step = opts.step ?? (engine === 'fast' ? fastTrainStep(model as MLP) : opts.compile === true ? compiledTrainStep(model) : autogradTrainStep(model));
  const epochs = checkInt('fit', 'epochs', opts.epochs ?? 10);
  const optimizer = makeOptimizer(model, opts.optimizer, opts.lr);
  const loader = new DataLoader(data.x, data.y, { batchSize: opts.batchSize ?? 32, seed: opts.seed ?? 0 });
  const history: EpochInfo[] = [];
  let elapsedMs = 0;
  model.train();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    let lossSum = 0;
    let hits = 0;
    let count = 0;
    let isClassifier = true;
    for (const { x, y } of loader) {
      const m = x.shape[0]!;
      optimizer.zeroGrad();
      const { loss, predicted } = step(x, y);
      optimizer.step();
      lossSum += loss * m;
      count += m;
      isClassifier &&= predicted.length === m;
      if (isClassifier) hits += Math.round(accuracy(predicted, labelsForAccuracy(y, m)) * m);
    }
    const ms = performance.now() - start;
    elapsedMs += ms;
    const test = evaluate(model, engine, data.xTest, data.yTest);
    const info: EpochInfo = {
      epoch, epochs, loss: lossSum / count, accuracy: isClassifier ? hits / count : NaN,
      testLoss: test.loss, testAccuracy: test.accuracy, ms, elapsedMs,
    };
    history.push(info);
    opts.onEpoch?.(info);
  }
  model.eval();
  return { engine, epochs: history, msPerEpoch: elapsedMs / epochs };
}

/** Class indices of the targets: the labels themselves (or 0/1 targets), else the arg-max of one-hot rows. */
function labelsForAccuracy(y: Tensor, m: number): ArrayLike<number> {
  if (y.size === m) return y.data;
  return classesOf(y.reshape([m, y.size / m]));
}

/** Arg-max down each column of `[k, m]`, or the 0.5 threshold for k = 1. */
function classesOfColumns(Y: ArrayLike<number>, m: number, k: number): Int32Array {
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    if (k === 1) {
      out[i] = Y[i]! >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < k; j++) if (Y[j * m + i]! > Y[best * m + i]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Loss and accuracy of a model on held-out data, with the chosen engine's forward pass (nothing recorded).
 * @param model The network.
 * @param engine `'fast'` or `'autograd'`.
 * @param x Features `[m, n_0]` (or undefined).
 * @param y Targets (or undefined).
 * @returns `{ loss, accuracy }`, NaN where not applicable.
 * @example
 * ```ts
 * import { randn, tensor } from '@tapegrad/core';
 * import { evaluate, MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [2, 3, 1], seed: 1 });
 * console.log(evaluate(net, 'fast', randn([2, 2]), tensor([0, 1])).accuracy >= 0); // true
 * ```
 * @category nn
 */
export function evaluate(model: Trainable, engine: Engine, x: Tensor | undefined, y: Tensor | undefined): {
  /** The model's loss on (x, y); NaN without data. */
  loss: number;
  /** The fraction of correctly classified rows; NaN for regression or without data. */
  accuracy: number;
} {
  if (x === undefined || y === undefined) return { loss: NaN, accuracy: NaN };
  const m = x.shape[0]!;
  const isClassifier = model instanceof MLP ? model.output !== 'identity' : model.predictClasses !== undefined;
  if (engine === 'fast' && model instanceof MLP) {
    const k = model.sizes[model.sizes.length - 1]!;
    const loss = fastLoss(model, x, y);
    const predicted = classesOfColumns(fastForward(model, x).Yhat, m, k);
    return { loss, accuracy: isClassifier ? accuracy(predicted, labelsForAccuracy(y, m)) : NaN };
  }
  return noGrad(() => {
    const loss = model.loss(x, y).item();
    return { loss, accuracy: isClassifier ? accuracy(model.predictClasses!(x), labelsForAccuracy(y, m)) : NaN };
  });
}
