import { ArgumentError, mulInPlace, noGrad, Tensor } from '@tapegrad/core';
import type { Optimizer } from './optim.ts';
import { checkInt, checkNumber } from './util.ts';

/**
 * Base class of the learning-rate schedules, as PyTorch's `LRScheduler`: it remembers the optimizer's learning rate at
 * construction (`baseLr`) and, on every {@link LRScheduler.step}, sets `optimizer.lr` to `lrAt(stepCount)`. Call
 * `step()` after `optimizer.step()`, once per epoch or once per batch, as the schedule is meant.
 * @category nn
 */
export abstract class LRScheduler {
  /** The optimizer whose `lr` is set. */
  readonly optimizer: Optimizer;
  /** The learning rate at construction. */
  readonly baseLr: number;
  /** Steps taken so far (`optimizer.lr` is `lrAt(stepCount)`). */
  stepCount = 0;

  /** @param optimizer The optimizer; its current `lr` becomes `baseLr`, and it is set to `lrAt(0)` at once. */
  constructor(optimizer: Optimizer) {
    this.optimizer = optimizer;
    this.baseLr = optimizer.lr;
  }

  /**
   * The learning rate after `t` steps.
   * @param t Steps taken (≥ 0).
   * @returns The learning rate.
   */
  abstract lrAt(t: number): number;

  /** Advances the schedule one step and sets the optimizer's learning rate. @returns The new learning rate. */
  step(): number {
    this.stepCount++;
    this.optimizer.lr = this.lrAt(this.stepCount);
    return this.optimizer.lr;
  }
}

/** Options of {@link StepLR}. @category nn */
export interface StepLROptions {
  /** Steps between decays (≥ 1). */
  readonly stepSize: number;
  /** Multiplicative factor of each decay (default 0.1). */
  readonly gamma?: number;
}

/**
 * Step decay: `lr = baseLr · γ^⌊t / stepSize⌋`, as PyTorch's `StepLR`.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { SGD, StepLR } from '@tapegrad/nn';
 * const opt = new SGD([tensor([1])], { lr: 1 });
 * const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * console.log([s.step(), s.step(), s.step()]); // [1, 0.5, 0.5]
 * ```
 * @category nn
 */
export class StepLR extends LRScheduler {
  /** Steps between decays. */
  readonly stepSize: number;
  /** Decay factor. */
  readonly gamma: number;
  /**
   * @param optimizer The optimizer.
   * @param opts `stepSize`, `gamma`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a step size below 1 or a negative γ.
   */
  constructor(optimizer: Optimizer, opts: StepLROptions) {
    super(optimizer);
    this.stepSize = checkInt('StepLR', 'stepSize', opts.stepSize);
    this.gamma = checkNumber('StepLR', 'gamma', opts.gamma ?? 0.1);
  }
  /** @param t Steps taken. @returns `baseLr · γ^⌊t / stepSize⌋`. */
  lrAt(t: number): number {
    return this.baseLr * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** Options of {@link CosineAnnealingLR}. @category nn */
export interface CosineOptions {
  /** Steps from `baseLr` down to `etaMin` (≥ 1); the rate stays at `etaMin` afterwards. */
  readonly tMax: number;
  /** The final learning rate (default 0). */
  readonly etaMin?: number;
}

/**
 * Cosine annealing: `lr = η_min + (baseLr − η_min)·(1 + cos(π·min(t, T)/T))/2`, as PyTorch's `CosineAnnealingLR`
 * (without restarts; the rate stays at `η_min` after T steps).
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { CosineAnnealingLR, SGD } from '@tapegrad/nn';
 * const s = new CosineAnnealingLR(new SGD([tensor([1])], { lr: 1 }), { tMax: 2 });
 * console.log([s.lrAt(0), s.lrAt(1), s.lrAt(2)]); // [1, 0.5, 0]
 * ```
 * @category nn
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Length of the decay. */
  readonly tMax: number;
  /** Final learning rate. */
  readonly etaMin: number;
  /**
   * @param optimizer The optimizer.
   * @param opts `tMax`, `etaMin`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for `tMax` below 1 or a negative `etaMin`.
   */
  constructor(optimizer: Optimizer, opts: CosineOptions) {
    super(optimizer);
    this.tMax = checkInt('CosineAnnealingLR', 'tMax', opts.tMax);
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', opts.etaMin ?? 0);
  }
  /** @param t Steps taken. @returns The annealed rate. */
  lrAt(t: number): number {
    const c = Math.min(t, this.tMax) / this.tMax;
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos(Math.PI * c))) / 2;
  }
}

/** Options of {@link LinearWarmup}. @category nn */
export interface WarmupOptions {
  /** Steps of warm-up (≥ 1). */
  readonly warmupSteps: number;
  /** Fraction of `baseLr` at step 0 (default 0). */
  readonly startFactor?: number;
  /** The schedule after warm-up, built on the same optimizer; its step count starts at 0 when warm-up ends. */
  readonly then?: LRScheduler;
}

/**
 * Linear warm-up: `lr = baseLr·(s + (1 − s)·t/W)` for t < W steps, then `baseLr` or the `then` schedule, as warm-up
 * is used before transformers' cosine decay.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { CosineAnnealingLR, LinearWarmup, SGD } from '@tapegrad/nn';
 * const opt = new SGD([tensor([1])], { lr: 1 });
 * const s = new LinearWarmup(opt, { warmupSteps: 2, then: new CosineAnnealingLR(opt, { tMax: 2 }) });
 * console.log([0, 1, 2, 3, 4].map((t) => s.lrAt(t))); // [0, 0.5, 1, 0.5, 0]
 * ```
 * @category nn
 */
export class LinearWarmup extends LRScheduler {
  /** Steps of warm-up. */
  readonly warmupSteps: number;
  /** Fraction of the base rate at step 0. */
  readonly startFactor: number;
  /** The schedule after warm-up, or null for a constant rate. */
  readonly then: LRScheduler | null;
  /**
   * @param optimizer The optimizer (its `lr` is set to the step-0 rate at once).
   * @param opts `warmupSteps`, `startFactor`, `then`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a bad option or a `then` on another optimizer.
   */
  constructor(optimizer: Optimizer, opts: WarmupOptions) {
    super(optimizer);
    this.warmupSteps = checkInt('LinearWarmup', 'warmupSteps', opts.warmupSteps);
    this.startFactor = checkNumber('LinearWarmup', 'startFactor', opts.startFactor ?? 0);
    if (this.startFactor > 1) throw new ArgumentError(`LinearWarmup: startFactor must be in [0, 1], got ${this.startFactor}`);
    this.then = opts.then ?? null;
    if (this.then !== null && this.then.optimizer !== optimizer) {
      throw new ArgumentError(`LinearWarmup: then must schedule the same optimizer, got one on another ${this.then.optimizer.name}`);
    }
    optimizer.lr = this.lrAt(0);
  }
  /** @param t Steps taken. @returns The rate. */
  lrAt(t: number): number {
    if (t < this.warmupSteps) return this.baseLr * (this.startFactor + ((1 - this.startFactor) * t) / this.warmupSteps);
    return this.then === null ? this.baseLr : this.then.lrAt(t - this.warmupSteps);
  }
}

/**
 * Rescales gradients so that their global norm is at most `maxNorm`, as PyTorch's `clip_grad_norm_`: with
 * `‖g‖ = (Σ over every parameter and element of |g|ᵖ)^(1/p)`, each gradient is multiplied in place by
 * `maxNorm / (‖g‖ + 1e-6)` when that factor is below 1. Parameters without a gradient are skipped.
 * @param params The parameters (or a module's `parameters()`).
 * @param maxNorm The largest norm allowed (> 0).
 * @param normType p ≥ 1, or `Infinity` for the largest absolute element (default 2).
 * @returns The norm before clipping.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a bad `maxNorm` or `normType`.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { clipGradNorm } from '@tapegrad/nn';
 * const w = tensor([1, 1], { requiresGrad: true });
 * w.grad = tensor([3, 4]);
 * const norm = clipGradNorm([w], 1);
 * console.log(norm, w.grad.data.map((g) => Math.round(g * 1e6) / 1e6)); // 5 Float64Array [0.6, 0.8]
 * ```
 * @category nn
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, normType = 2): number {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, 0, true);
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType < 1) {
    throw new ArgumentError(`clipGradNorm: normType must be a number ≥ 1 or Infinity, got ${String(normType)}`);
  }
  const grads = params.map((p, i) => {
    if (!(p instanceof Tensor)) throw new ArgumentError(`clipGradNorm: params[${i}] must be a Tensor, got ${typeof p}`);
    return p.grad;
  }).filter((g): g is Tensor => g !== null);
  let total = 0;
  for (const g of grads) {
    for (const v of g.data) total = normType === Infinity ? Math.max(total, Math.abs(v)) : total + Math.abs(v) ** normType;
  }
  if (normType !== Infinity) total **= 1 / normType;
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) noGrad(() => grads.forEach((g) => mulInPlace(g, coef)));
  return total;
}
