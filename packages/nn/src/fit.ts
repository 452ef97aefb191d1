import { ArgumentError, noGrad, type Tensor } from '@tapegrad/core';
import { accuracy, DataLoader } from './data.ts';
import { fastForward, fastLoss, fastStep } from './fast-path.ts';
import { classesOf, outputLoss, type MLP } from './mlp.ts';
import { Adam, AdamW, Optimizer, SGD } from './optim.ts';
import { checkInt, checkNumber } from './util.ts';

/** Which gradient engine trains the network. @category nn */
export type Engine = 'fast' | 'autograd';

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
  /** `'fast'` (the hand-derived path, default) or `'autograd'` (the generic engine). */
  readonly engine?: Engine;
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

function makeOptimizer(model: MLP, opt: FitOptions['optimizer'], lr: number | undefined): Optimizer {
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
 * Trains an {@link MLP} with minibatches, on the fast path or with the generic engine. Both engines see
 * the same seeded batches and use the same optimizer rule, so for a given seed they follow the same
 * trajectory up to rounding (their gradients agree to about 1e-15 relative).
 * @param model The network; its parameters are updated in place.
 * @param data `{ x, y, xTest?, yTest? }`.
 * @param opts `engine`, `epochs`, `lr`, `batchSize`, `optimizer`, `seed`, `onEpoch`.
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
export function fit(model: MLP, data: FitData, opts: FitOptions = {}): FitHistory {
  const engine = opts.engine ?? 'fast';
  if (engine !== 'fast' && engine !== 'autograd') throw new ArgumentError(`fit: engine must be 'fast' or 'autograd', got '${String(engine)}'`);
  const epochs = checkInt('fit', 'epochs', opts.epochs ?? 10);
  const optimizer = makeOptimizer(model, opts.optimizer, opts.lr);
  const loader = new DataLoader(data.x, data.y, { batchSize: opts.batchSize ?? 32, seed: opts.seed ?? 0 });
  const k = model.sizes[model.sizes.length - 1]!;
  const isClassifier = model.output !== 'identity';
  const history: EpochInfo[] = [];
  let elapsedMs = 0;
  model.train();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const start = performance.now();
    let lossSum = 0;
    let hits = 0;
    let count = 0;
    for (const { x, y } of loader) {
      const m = x.shape[0]!;
      let loss: number;
      let predicted: Int32Array;
      optimizer.zeroGrad();
      if (engine === 'fast') {
        const pass = fastStep(model, x, y);
        loss = pass.loss;
        predicted = isClassifier ? classesOfColumns(pass.Yhat, m, k) : new Int32Array(0);
      } else {
        const z = model.forward(x);
        const l = outputLoss(model.output, z, y);
        l.backward();
        loss = l.item();
        // arg-max of the logits is the arg-max of softmax; for one sigmoid output σ(z) ≥ 0.5 ⇔ z ≥ 0
        predicted = !isClassifier ? new Int32Array(0) : k === 1 ? Int32Array.from(z.data, (v) => (v >= 0 ? 1 : 0)) : classesOf(z.data, m, k);
      }
      optimizer.step();
      lossSum += loss * m;
      count += m;
      if (isClassifier) hits += Math.round(accuracy(predicted, labelsForAccuracy(y, m, k)) * m);
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

/** Class indices of the targets: the labels themselves, or rounded 0/1 targets for one sigmoid output. */
function labelsForAccuracy(y: Tensor, m: number, k: number): ArrayLike<number> {
  if (k === 1 || y.size === m) return y.data;
  return classesOf(y.data, m, k);
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
export function evaluate(model: MLP, engine: Engine, x: Tensor | undefined, y: Tensor | undefined): {
  /** The model's loss on (x, y); NaN without data. */
  loss: number;
  /** The fraction of correctly classified rows; NaN for regression or without data. */
  accuracy: number;
} {
  if (x === undefined || y === undefined) return { loss: NaN, accuracy: NaN };
  const m = x.shape[0]!;
  const k = model.sizes[model.sizes.length - 1]!;
  const isClassifier = model.output !== 'identity';
  if (engine === 'fast') {
    const loss = fastLoss(model, x, y);
    const predicted = classesOfColumns(fastForward(model, x).Yhat, m, k);
    return { loss, accuracy: isClassifier ? accuracy(predicted, labelsForAccuracy(y, m, k)) : NaN };
  }
  return noGrad(() => {
    const loss = model.loss(x, y).item();
    return { loss, accuracy: isClassifier ? accuracy(model.predictClasses(x), labelsForAccuracy(y, m, k)) : NaN };
  });
}
