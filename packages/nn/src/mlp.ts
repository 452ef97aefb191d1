import { argmax, ArgumentError, noGrad, Rng, ShapeError, sigmoid, softmax, withScope, type DType, type Tensor } from '@tapegrad/core';
import type { InitName } from './init.ts';
import { activationFn, Linear, type ActivationName } from './layers.ts';
import { binaryCrossEntropyWithLogits, crossEntropy, mseLoss } from './losses.ts';
import { Module } from './module.ts';
import { checkInt, fmt } from './util.ts';

/**
 * Output activation and loss, the three pairs whose derivatives cancel to `dZ_L = ŷ − t` (times the
 * loss's reduction constant): `'sigmoid'` + binary cross-entropy, `'softmax'` + cross-entropy,
 * `'identity'` + mean squared error.
 * @category nn
 */
export type OutputName = 'sigmoid' | 'softmax' | 'identity';

/** Options of {@link MLP}. @category nn */
export interface MLPOptions {
  /** Layer widths `[n_0, n_1, …, n_L]`: inputs, hidden layers, outputs (at least two entries). */
  readonly sizes: readonly number[];
  /** Hidden activation (default `'relu'`). */
  readonly activation?: ActivationName;
  /** Output activation and loss pair (default `'sigmoid'` for one output, `'softmax'` for more). */
  readonly output?: OutputName;
  /** Weight initializer (default: He uniform for relu, Xavier uniform otherwise). */
  readonly init?: InitName;
  /** Seed of the initial values (default 0): the same seed gives the same network bit for bit. */
  readonly seed?: number;
  /** Element type (default `float64`). */
  readonly dtype?: DType;
}

/** Autograd intermediates of one forward pass: `Z[l − 1] = Z_l` and `A[l] = A_l`, with `A[0] = X`. @category nn */
export interface ForwardTrace {
  /** Pre-activations `Z_1 … Z_L`, each `[m, n_l]` (examples as rows). */
  readonly Z: Tensor[];
  /** Activations `A_0 = X, A_1 … A_{L−1}`, each `[m, n_l]`. */
  readonly A: Tensor[];
}

/**
 * A dense network: `L` {@link Linear} layers `l1 … lL` (weight `W_l` `[n_l, n_{l−1}]`), the hidden
 * activation between them, and an output pair that fixes the loss (see {@link OutputName}).
 * `forward` returns the output pre-activation `Z_L` (the logits); `predict` applies the output activation.
 * The hand-derived fast path ({@link fastStep}) trains the same parameter tensors.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { MLP } from '@tapegrad/nn';
 * const net = new MLP({ sizes: [4, 8, 3], activation: 'tanh', output: 'softmax', seed: 1 });
 * console.log(net.forward(randn([5, 4])).shape); // [5, 3]
 * ```
 * @category nn
 */
export class MLP extends Module {
  /** The layers, `layers[l − 1]` holding `W_l` and `b_l`. */
  readonly layers: readonly Linear[];
  /** Layer widths `[n_0 … n_L]`. */
  readonly sizes: readonly number[];
  /** Hidden activation. */
  readonly activation: ActivationName;
  /** Output pair. */
  readonly output: OutputName;

  /**
   * @param opts `sizes`, `activation`, `output`, `init`, `seed`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for fewer than two sizes, non-positive widths, unknown names.
   */
  constructor(opts: MLPOptions) {
    super();
    const sizes = opts.sizes;
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new ArgumentError(`MLP: sizes must list at least the input and output widths, got ${JSON.stringify(sizes)}`);
    }
    sizes.forEach((n, i) => checkInt('MLP', `sizes[${i}]`, n));
    this.sizes = [...sizes];
    this.activation = opts.activation ?? 'relu';
    activationFn(this.activation);
    this.output = opts.output ?? (sizes[sizes.length - 1] === 1 ? 'sigmoid' : 'softmax');
    if (!['sigmoid', 'softmax', 'identity'].includes(this.output)) {
      throw new ArgumentError(`MLP: output must be 'sigmoid', 'softmax' or 'identity', got '${String(this.output)}'`);
    }
    const init = opts.init ?? (this.activation === 'relu' ? 'heUniform' : 'xavierUniform');
    const rng = new Rng(opts.seed ?? 0);
    const layers: Linear[] = [];
    for (let l = 1; l < sizes.length; l++) {
      layers.push(this.registerModule(`l${l}`, new Linear(sizes[l - 1]!, sizes[l]!, { init, rng, dtype: opts.dtype ?? 'float64' })));
    }
    this.layers = layers;
  }

  /** Number of layers `L`. */
  get depth(): number {
    return this.layers.length;
  }

  /**
   * The autograd forward pass, keeping every `Z_l` and `A_l` (call `retainGrad()` on them to inspect
   * their gradients after backward).
   * @param x Input `[m, n_0]`, examples as rows.
   * @returns The pre-activations and activations.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} when x is not `[m, n_0]`.
   */
  forwardTrace(x: Tensor): ForwardTrace {
    if (x.rank !== 2 || x.shape[1] !== this.sizes[0]) {
      throw new ShapeError(`MLP: x must have shape [m, ${this.sizes[0]}], got ${fmt(x.shape)}`);
    }
    const g = activationFn(this.activation);
    const Z: Tensor[] = [];
    const A: Tensor[] = [x];
    withScope('MLP', () => {
      this.layers.forEach((layer, i) => {
        const z = layer.forward(A[i]!);
        Z.push(z);
        if (i < this.layers.length - 1) A.push(withScope(this.activation, () => g(z)));
      });
    });
    return { Z, A };
  }

  /**
   * The output pre-activation `Z_L = W_L·A_{L−1} + b_L` (logits), examples as rows.
   * @param x Input `[m, n_0]`.
   * @returns `Z_L`, `[m, n_L]`.
   */
  forward(x: Tensor): Tensor {
    const { Z } = this.forwardTrace(x);
    return Z[Z.length - 1]!;
  }

  /**
   * The network's loss on a batch, with the generic engine, from the logits `Z_L` (never from
   * probabilities): sigmoid uses `binaryCrossEntropyWithLogits`, softmax `crossEntropy`, identity
   * `mseLoss`, each with mean reduction.
   *
   * Why logits for sigmoid: `binaryCrossEntropyWithLogits` computes `softplus(z) − t·z` with gradient
   * `σ(z) − t`, exact at any logit, the same `dZ_L` as the fast path. A probability-based BCE on
   * `ŷ = σ(z)` must clamp `ln ŷ` (at −100, as PyTorch) and breaks once `σ(z)` rounds to 1 (z ≳ 36.7 in
   * float64): at z = 40, t = 0 its loss is 100 instead of 40, and its gradient `∂ℓ/∂ŷ·ŷ(1 − ŷ) = ∞·0`
   * is NaN instead of 1.
   * @param x Input `[m, n_0]`.
   * @param t Targets: 0/1 `[m]` or `[m, n_L]` for sigmoid, class indices `[m]` for softmax, values for identity.
   * @returns The scalar loss, on the tape.
   */
  loss(x: Tensor, t: Tensor): Tensor {
    return outputLoss(this.output, this.forward(x), t);
  }

  /**
   * Output probabilities (or values, for identity), without recording.
   * @param x Input `[m, n_0]`.
   * @returns `ŷ = out(Z_L)`, `[m, n_L]`.
   */
  predict(x: Tensor): Tensor {
    return noGrad(() => {
      const z = this.forward(x);
      // core's own ops, so predictions are bit for bit what sigmoid(forward(x)) gives
      return this.output === 'sigmoid' ? sigmoid(z) : this.output === 'softmax' ? softmax(z, -1) : z;
    });
  }

  /**
   * Predicted classes: the arg-max output, or `ŷ ≥ 0.5` for a single sigmoid (or identity) output.
   * @param x Input `[m, n_0]`.
   * @returns One class index per example.
   */
  predictClasses(x: Tensor): Int32Array {
    return classesOf(this.predict(x));
  }
}

/** Classes of outputs `[m, k]`: core's argmax per row, or the 0.5 threshold when k = 1. @internal */
export function classesOf(y: Tensor): Int32Array {
  if (y.shape[1] === 1) return Int32Array.from(y.data, (v) => (v >= 0.5 ? 1 : 0));
  return Int32Array.from(noGrad(() => argmax(y, 1)).data);
}

/**
 * The loss of an output pair on the tape, from the logits `Z_L` `[m, k]`: what {@link MLP.loss} computes
 * after the forward pass (use it with {@link MLP.forwardTrace} to inspect intermediate gradients).
 * @param output The output pair.
 * @param z Logits `[m, k]`.
 * @param t Targets: 0/1 for sigmoid, class indices `[m]` for softmax, values for identity.
 * @returns The scalar mean loss.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the targets do not fit the logits.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { outputLoss } from '@tapegrad/nn';
 * console.log(outputLoss('sigmoid', tensor([[0]]), tensor([1])).item()); // 0.6931471805599453
 * ```
 * @category nn
 */
export function outputLoss(output: OutputName, z: Tensor, t: Tensor): Tensor {
  const m = z.shape[0]!;
  if (output === 'softmax') {
    if (t.size !== m) throw new ShapeError(`MLP.loss: softmax targets must be ${m} class indices, got shape ${fmt(t.shape)}`);
    return crossEntropy(z, t.rank === 1 ? t : t.reshape([m]));
  }
  if (t.size !== z.size) throw new ShapeError(`MLP.loss: targets must have ${z.size} elements for logits ${fmt(z.shape)}, got shape ${fmt(t.shape)}`);
  const tt = fmt(t.shape) === fmt(z.shape) ? t : t.reshape(z.shape);
  return output === 'sigmoid' ? binaryCrossEntropyWithLogits(z, tt) : mseLoss(z, tt);
}
