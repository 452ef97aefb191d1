import { ArgumentError, mutate, noGrad, Tensor, type FloatArray } from '@tapegrad/core';
import { checkNumber } from './util.ts';

/**
 * Base class of the optimizers: holds the parameters and the learning rate, and updates `param.data` in
 * place under `noGrad` (nothing is recorded), bumping each parameter's version after its update so a
 * graph recorded before the step refuses to run backward through stale values. Parameters without a
 * gradient are skipped.
 * @category nn
 */
export abstract class Optimizer {
  /** The parameters, in the order given. */
  readonly params: readonly Tensor[];
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  /** Steps taken so far. */
  stepCount = 0;
  /** The optimizer's name, for messages. */
  readonly name: string;

  /**
   * @param params The tensors to update (at least one).
   * @param lr Learning rate (≥ 0).
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for no parameters, a non-tensor, or a negative or non-finite lr.
   */
  constructor(params: readonly Tensor[], lr: number) {
    const name = new.target.name;
    this.name = name;
    if (!Array.isArray(params) || params.length === 0) {
      throw new ArgumentError(`${name}: params must contain at least one tensor, got ${Array.isArray(params) ? 0 : typeof params}`);
    }
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ArgumentError(`${name}: params[${i}] must be a Tensor, got ${typeof p}`);
    });
    // A tensor given twice (tied weights listed by hand) is updated once per step, as one parameter.
    this.params = [...new Set(params)];
    this.lr = checkNumber(name, 'lr', lr);
  }

  /** Clears every parameter's gradient (`grad = null`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (p.grad === null) return;
        const g = p.grad.data;
        mutate(p, (w) => this.update(i, w, g));
      });
    });
  }

  /**
   * Updates one parameter's elements in place.
   * @param index The parameter's position (for per-parameter state).
   * @param w The parameter's elements.
   * @param g Its gradient's elements.
   */
  protected abstract update(index: number, w: FloatArray, g: FloatArray): void;
}

/** Options of {@link SGD}. @category nn */
export interface SGDOptions {
  /** Learning rate (default 0.01). */
  readonly lr?: number;
  /** Momentum factor μ (default 0). */
  readonly momentum?: number;
  /** Dampening of the momentum (default 0). */
  readonly dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and no dampening). */
  readonly nesterov?: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  readonly weightDecay?: number;
}

/**
 * Stochastic gradient descent, as PyTorch's: `g ← ∇ + λ·w`; with momentum `v ← μ·v + (1 − dampening)·g`
 * (`v = g` at the first step), `g ← g + μ·v` (Nesterov) or `g ← v`; then `w ← w − lr·g`.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { SGD } from '@tapegrad/nn';
 * const w = tensor([1, 2], { requiresGrad: true });
 * w.mul(w).sum().backward();
 * new SGD([w], { lr: 0.1 }).step();
 * console.log(w.toArray()); // [0.8, 1.6]
 * ```
 * @category nn
 */
export class SGD extends Optimizer {
  /** Momentum factor. */
  readonly momentum: number;
  /** Dampening. */
  readonly dampening: number;
  /** Whether the momentum is Nesterov's. */
  readonly nesterov: boolean;
  /** L2 penalty. */
  readonly weightDecay: number;
  #velocity: (FloatArray | null)[];

  /**
   * @param params The tensors to update.
   * @param opts `lr`, `momentum`, `dampening`, `nesterov`, `weightDecay`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for bad hyper-parameters (negative values; Nesterov without momentum).
   */
  constructor(params: readonly Tensor[], opts: SGDOptions = {}) {
    super(params, opts.lr ?? 0.01);
    this.momentum = checkNumber('SGD', 'momentum', opts.momentum ?? 0);
    this.dampening = checkNumber('SGD', 'dampening', opts.dampening ?? 0);
    this.weightDecay = checkNumber('SGD', 'weightDecay', opts.weightDecay ?? 0);
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ArgumentError(`SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
    this.#velocity = this.params.map(() => null);
  }

  protected update(index: number, w: FloatArray, g: FloatArray): void {
    const { lr, momentum: mu, dampening, weightDecay: wd, nesterov } = this;
    let v = this.#velocity[index] ?? null;
    const isFirst = v === null;
    if (mu !== 0 && v === null) v = this.#velocity[index] = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      let d = g[i]! + wd * w[i]!;
      if (v !== null) {
        v[i] = isFirst ? d : mu * v[i]! + (1 - dampening) * d;
        d = nesterov ? d + mu * v[i]! : v[i]!;
      }
      w[i] = w[i]! - lr * d;
    }
  }
}

/** Options of {@link Adam} and {@link AdamW}. @category nn */
export interface AdamOptions {
  /** Learning rate (default 0.001). */
  readonly lr?: number;
  /** Decay rates (β₁, β₂) of the moment estimates (default [0.9, 0.999]). */
  readonly betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  readonly eps?: number;
  /** Weight decay λ: an L2 term in the gradient for Adam (default 0), decoupled for AdamW (default 0.01). */
  readonly weightDecay?: number;
}

/**
 * Adam (Kingma & Ba): `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
 * `w ← w − lr·m̂/(√v̂ + ε)` with the bias corrections `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`;
 * `weightDecay` adds `λ·w` to the gradient (L2, as PyTorch's Adam).
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { Adam } from '@tapegrad/nn';
 * const w = tensor([1, -1], { requiresGrad: true });
 * w.mul(w).sum().backward();
 * new Adam([w], { lr: 0.1 }).step();
 * console.log(w.toArray()); // ≈ [0.9, -0.9]
 * ```
 * @category nn
 */
export class Adam extends Optimizer {
  /** β₁. */
  readonly beta1: number;
  /** β₂. */
  readonly beta2: number;
  /** ε. */
  readonly eps: number;
  /** Weight decay λ. */
  readonly weightDecay: number;
  /** Whether the decay is decoupled from the gradient (AdamW). */
  protected isDecoupled = false;
  #m: Float64Array[];
  #v: Float64Array[];
  /** Updates each parameter has received: bias correction counts a parameter's own steps, not the optimizer's. */
  #steps: number[];

  /**
   * @param params The tensors to update.
   * @param opts `lr`, `betas`, `eps`, `weightDecay`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for bad hyper-parameters (betas outside [0, 1), eps ≤ 0, negative values).
   */
  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super(params, opts.lr ?? 0.001);
    const name = this.name;
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    for (const [label, b] of [['betas[0]', b1], ['betas[1]', b2]] as const) {
      if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new ArgumentError(`${name}: ${label} must be in [0, 1), got ${String(b)}`);
    }
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = checkNumber(name, 'eps', opts.eps ?? 1e-8, 0, true);
    this.weightDecay = checkNumber(name, 'weightDecay', opts.weightDecay ?? 0);
    this.#m = this.params.map((p) => new Float64Array(p.size));
    this.#v = this.params.map((p) => new Float64Array(p.size));
    this.#steps = this.params.map(() => 0);
  }

  protected update(index: number, w: FloatArray, g: FloatArray): void {
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, isDecoupled } = this;
    const m = this.#m[index]!;
    const v = this.#v[index]!;
    // A parameter that first gets a gradient at step 10 is corrected as at its own first step.
    const t = ++this.#steps[index]!;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < w.length; i++) {
      let d = g[i]!;
      if (isDecoupled) w[i] = w[i]! * (1 - lr * wd);
      else d += wd * w[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * d;
      v[i] = b2 * v[i]! + (1 - b2) * d * d;
      w[i] = w[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
    }
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, `w ← w·(1 − lr·λ)` before the Adam
 * update (default λ = 0.01), so the decay is not rescaled by the moment estimates.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { AdamW } from '@tapegrad/nn';
 * const w = tensor([1, -1], { requiresGrad: true });
 * w.mul(w).sum().backward();
 * new AdamW([w], { lr: 0.1, weightDecay: 0.1 }).step();
 * ```
 * @category nn
 */
export class AdamW extends Adam {
  /**
   * @param params The tensors to update.
   * @param opts `lr`, `betas`, `eps`, `weightDecay` (default 0.01).
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for bad hyper-parameters.
   */
  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 });
    this.isDecoupled = true;
  }
}
