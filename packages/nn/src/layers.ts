import { ArgumentError, matmul, relu, reshape, Rng, ShapeError, sigmoid, tanh, withScope, zeros, type DType, type Tensor } from '@tapegrad/core';
import { initWeight, linearDefault, type InitName } from './init.ts';
import { Module } from './module.ts';
import { checkInt, fmt } from './util.ts';

/** Options of {@link Linear}. @category nn */
export interface LinearOptions {
  /** Whether the layer has a bias (default true). */
  readonly bias?: boolean;
  /** Weight initializer (default `'default'`, PyTorch's `U(±1/√in)`); the bias always uses `U(±1/√in)`, or zeros with `'zeros'`. */
  readonly init?: InitName;
  /** Generator for the initial values (wins over `seed`). */
  readonly rng?: Rng;
  /** Seed of a fresh generator (default 0). */
  readonly seed?: number;
  /** Element type (default `float64`). */
  readonly dtype?: DType;
}

/**
 * Affine layer `y = x·Wᵀ + b`, as PyTorch's `nn.Linear`: weight `[out, in]`, bias `[out]`, examples as rows.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { Linear } from '@tapegrad/nn';
 * const fc = new Linear(4, 2, { seed: 1 });
 * console.log(fc.forward(randn([3, 4])).shape); // [3, 2]
 * ```
 * @category nn
 */
export class Linear extends Module {
  /** Weight `W`, shape `[out, in]`. */
  readonly weight: Tensor;
  /** Bias `b`, shape `[out]`, or null. */
  readonly bias: Tensor | null;
  /** Input features. */
  readonly inFeatures: number;
  /** Output features. */
  readonly outFeatures: number;

  /**
   * @param inFeatures Input features (≥ 1).
   * @param outFeatures Output features (≥ 1).
   * @param opts `bias`, `init`, `rng`/`seed`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for non-positive sizes or an unknown initializer.
   */
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures);
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const dtype = opts.dtype ?? 'float64';
    const init = opts.init ?? 'default';
    this.weight = this.registerParameter('weight', initWeight(zeros([outFeatures, inFeatures], { dtype }), init, rng));
    if (opts.bias ?? true) {
      const b = zeros([outFeatures], { dtype });
      if (init !== 'zeros') linearDefault(b, { rng }, inFeatures);
      this.bias = this.registerParameter('bias', b);
    } else this.bias = null;
  }

  /**
   * `x·Wᵀ + b`, reading `W` through matmul's transpose flag (no copy).
   * @param x Input `[m, in]`.
   * @returns Output `[m, out]`.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} when x's last dimension is not `in`.
   */
  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear: x must have ${this.inFeatures} features in its last dimension, got shape ${fmt(x.shape)}`);
    }
    return withScope('Linear', () => {
      const y = matmul(x, this.weight, { transposeB: true });
      return this.bias === null ? y : y.add(this.bias);
    });
  }
}

/** Hidden-layer activations the fast path knows the derivative of. @category nn */
export type ActivationName = 'sigmoid' | 'tanh' | 'relu' | 'identity';

/** An activation function by name: `sigmoid`, `tanh`, `relu` from core, or the identity. @internal */
export function activationFn(name: ActivationName): (x: Tensor) => Tensor {
  switch (name) {
    case 'sigmoid': return sigmoid;
    case 'tanh': return tanh;
    case 'relu': return relu;
    case 'identity': return (x) => x;
    default: throw new ArgumentError(`activation: must be 'sigmoid', 'tanh', 'relu' or 'identity', got '${String(name)}'`);
  }
}

/**
 * An elementwise activation as a module, for {@link Sequential}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { Activation } from '@tapegrad/nn';
 * console.log(new Activation('relu').forward(tensor([-1, 2])).toArray()); // [0, 2]
 * ```
 * @category nn
 */
export class Activation extends Module {
  /** The activation's name. */
  readonly name: ActivationName;
  readonly #fn: (x: Tensor) => Tensor;
  /** @param name `'sigmoid'`, `'tanh'`, `'relu'` or `'identity'`. @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for another name. */
  constructor(name: ActivationName) {
    super();
    this.#fn = activationFn(name);
    this.name = name;
  }
  /** Applies the activation elementwise. @param x Any tensor. @returns g(x). */
  forward(x: Tensor): Tensor {
    return this.#fn(x);
  }
}

/**
 * `ReLU()`: max(x, 0) as a module.
 * @returns An {@link Activation}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { ReLU } from '@tapegrad/nn';
 * console.log(ReLU().forward(tensor([-1, 2])).toArray()); // [0, 2]
 * ```
 * @category nn
 */
export function ReLU(): Activation {
  return new Activation('relu');
}

/**
 * `Tanh()`: tanh as a module.
 * @returns An {@link Activation}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { Tanh } from '@tapegrad/nn';
 * console.log(Tanh().forward(tensor([0])).toArray()); // [0]
 * ```
 * @category nn
 */
export function Tanh(): Activation {
  return new Activation('tanh');
}

/**
 * `Sigmoid()`: the logistic function σ(x) = 1 / (1 + e⁻ˣ) as a module.
 * @returns An {@link Activation}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { Sigmoid } from '@tapegrad/nn';
 * console.log(Sigmoid().forward(tensor([0])).toArray()); // [0.5]
 * ```
 * @category nn
 */
export function Sigmoid(): Activation {
  return new Activation('sigmoid');
}

/**
 * Runs modules one after another; children are named `'0'`, `'1'`, … as in PyTorch.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { Linear, ReLU, Sequential } from '@tapegrad/nn';
 * const net = new Sequential(new Linear(4, 8, { seed: 1 }), ReLU(), new Linear(8, 1, { seed: 2 }));
 * console.log(net.forward(randn([5, 4])).shape); // [5, 1]
 * ```
 * @category nn
 */
export class Sequential extends Module {
  /** The modules, in order. */
  readonly modules: readonly Module[];
  /** @param modules The modules to chain. */
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
    this.modules = modules;
  }
  /** Feeds x through every module. @param x The input. @returns The last module's output. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.modules) y = m.forward(y);
    return y;
  }
}

/**
 * Flattens dimensions `startDim..endDim` into one, as PyTorch's `nn.Flatten` (default: everything but the batch
 * dimension, `[b, c, h, w] → [b, c·h·w]`). A reshape: the gradient flows back unchanged.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { Flatten } from '@tapegrad/nn';
 * console.log(new Flatten().forward(zeros([2, 3, 4, 5])).shape); // [2, 60]
 * ```
 * @category nn
 */
export class Flatten extends Module {
  /** First dimension flattened. */
  readonly startDim: number;
  /** Last dimension flattened (negative counts from the end). */
  readonly endDim: number;
  /**
   * @param startDim First dimension to flatten (default 1).
   * @param endDim Last dimension to flatten (default −1, the last).
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a non-integer dimension.
   */
  constructor(startDim = 1, endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) {
      throw new ArgumentError(`Flatten: startDim and endDim must be integers, got ${String(startDim)} and ${String(endDim)}`);
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }
  /**
   * Reshapes x.
   * @param x A tensor of rank ≥ 1.
   * @returns x with dimensions `startDim..endDim` merged.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the range is empty or out of x's rank.
   */
  forward(x: Tensor): Tensor {
    const s = this.startDim < 0 ? this.startDim + x.rank : this.startDim;
    const e = this.endDim < 0 ? this.endDim + x.rank : this.endDim;
    if (s < 0 || e >= x.rank || s > e) {
      throw new ShapeError(`Flatten: dimensions ${this.startDim}..${this.endDim} must lie in x of shape ${fmt(x.shape)}`);
    }
    const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
  }
}
