import { ArgumentError } from './errors.ts';
import type { ElementwiseOp } from './ops/define.ts';
import { recordScalar, retainRow, rowGrad, scalarBackward } from './scalar-tape.ts';
import { ops } from './ops/table.ts';

/** Options of {@link Value.backward}. @category Autograd */
export interface ScalarBackwardOptions {
  /** The seed gradient ∂root/∂root; 1 by default. */
  readonly grad?: number;
  /** Keep the graph so backward can run through it again. */
  readonly retainGraph?: boolean;
}

/**
 * A scalar on the tape, micrograd-style: `.data` and `.grad` are plain numbers you may read and write,
 * so a hand-written SGD step (`p.data -= lr * p.grad; p.grad = 0`) works.
 *
 * A `Value` is a handle to a row of the tape's scalar lane; recording an op allocates nothing but the
 * new handle. Leaves (values you create) live across any number of steps; each `backward()` releases
 * the graph it ran through, so the tape does not grow from step to step.
 *
 * Gradients accumulate: every `backward()` adds into `.grad` of each leaf it reaches (and of values that
 * called {@link Value.retainGrad}), until you zero it. An intermediate value's `.grad` is the most recent
 * backward's, readable until newer operations reuse its row on the tape.
 * @example
 * ```ts
 * import { value } from '@tapegrad/core';
 * const x = value(3);
 * const y = x.mul(x).add(x); // x² + x
 * y.backward();
 * console.log(y.data, x.grad); // 12 7
 * ```
 * @category Autograd
 */
export class Value {
  /** The number this value holds. */
  data: number;
  /** @internal Accumulated gradient of a leaf (or of a non-leaf that called {@link Value.retainGrad}). */
  accGrad = 0;
  /** Whether ops on this value are recorded; `false` makes it a constant. */
  requiresGrad: boolean;
  /** Whether the user made it (true) or an op did (false). */
  readonly isLeaf: boolean;
  /** @internal Row on the tape's scalar lane, or -1. */
  slot = -1;
  /** @internal Generation of that row when this value took it. */
  gen = 0;
  /** @internal Whether backward writes this non-leaf's gradient into the handle. */
  isRetainingGrad = false;

  /**
   * @param data The number.
   * @param requiresGrad Whether to track gradients (default true).
   * @param isLeaf @internal Ops pass false for their outputs.
   */
  constructor(data: number, requiresGrad = true, isLeaf = true) {
    if (typeof data !== 'number') throw new ArgumentError(`value: data must be a number, got ${typeof data}`);
    this.data = data;
    this.requiresGrad = requiresGrad;
    this.isLeaf = isLeaf;
  }

  /**
   * ∂root/∂this. For leaves it accumulates over backward passes until you zero it (`p.grad = 0`).
   * For an intermediate value it is the gradient of the most recent backward pass, readable until newer
   * operations reuse its row on the tape; call {@link Value.retainGrad} to keep it in the handle.
   */
  get grad(): number {
    return this.isLeaf || this.isRetainingGrad ? this.accGrad : rowGrad(this);
  }

  /**
   * Overwrites the held gradient, as `p.grad = 0` does to zero a leaf (or a value that called
   * {@link Value.retainGrad}). An intermediate value that does not retain its gradient reads it from the
   * tape, so the write does not show there.
   */
  set grad(g: number) {
    this.accGrad = g;
  }

  /** Keeps this intermediate value's gradient in the handle (accumulating), as leaves do. */
  retainGrad(): this {
    if (!this.isLeaf && !this.isRetainingGrad) {
      this.isRetainingGrad = true;
      retainRow(this);
    }
    return this;
  }

  /** this + b */
  add(b: Value | number): Value { return applyScalar(ops.add.op, this, b); }
  /** this − b */
  sub(b: Value | number): Value { return applyScalar(ops.sub.op, this, b); }
  /** this · b */
  mul(b: Value | number): Value { return applyScalar(ops.mul.op, this, b); }
  /** this / b */
  div(b: Value | number): Value { return applyScalar(ops.div.op, this, b); }
  /** thisᵇ */
  pow(b: Value | number): Value { return applyScalar(ops.pow.op, this, b); }
  /** max(this, b); ties split the gradient evenly. */
  maximum(b: Value | number): Value { return applyScalar(ops.maximum.op, this, b); }
  /** min(this, b); ties split the gradient evenly. */
  minimum(b: Value | number): Value { return applyScalar(ops.minimum.op, this, b); }
  /** −this */
  neg(): Value { return applyScalar(ops.neg.op, this, 0); }
  /** eˣ */
  exp(): Value { return applyScalar(ops.exp.op, this, 0); }
  /** ln x */
  log(): Value { return applyScalar(ops.log.op, this, 0); }
  /** ln(1 + x) */
  log1p(): Value { return applyScalar(ops.log1p.op, this, 0); }
  /** √x */
  sqrt(): Value { return applyScalar(ops.sqrt.op, this, 0); }
  /** |x| (subgradient 0 at 0) */
  abs(): Value { return applyScalar(ops.abs.op, this, 0); }
  /** x² */
  square(): Value { return applyScalar(ops.square.op, this, 0); }
  /** 1 / (1 + e⁻ˣ) */
  sigmoid(): Value { return applyScalar(ops.sigmoid.op, this, 0); }
  /** tanh x */
  tanh(): Value { return applyScalar(ops.tanh.op, this, 0); }
  /** max(x, 0) (subgradient 0 at 0) */
  relu(): Value { return applyScalar(ops.relu.op, this, 0); }
  /** ln(1 + eˣ) */
  softplus(): Value { return applyScalar(ops.softplus.op, this, 0); }
  /** sin x */
  sin(): Value { return applyScalar(ops.sin.op, this, 0); }
  /** cos x */
  cos(): Value { return applyScalar(ops.cos.op, this, 0); }

  /**
   * Backpropagates from this value: every value it depends on gets `.grad += ∂this/∂value`.
   * Releases the graph afterwards unless `retainGraph`.
   * @throws {@link GradError} when the graph was released by an earlier backward, or this value does not require grad.
   */
  backward(opts: ScalarBackwardOptions = {}): void {
    scalarBackward(this, opts.grad ?? 1, opts.retainGraph ?? false);
  }

  /** A new leaf with the same data that does not require grad: it cuts the graph here. */
  detach(): Value {
    return new Value(this.data, false);
  }

  /** `Value(data=…, grad=…)` */
  toString(): string {
    return `Value(data=${this.data}, grad=${this.grad})`;
  }
}

/**
 * Makes a leaf {@link Value}.
 * @param data The number.
 * @param requiresGrad Whether to track gradients (default true).
 * @returns The new value.
 * @example
 * ```ts
 * import { value } from '@tapegrad/core';
 * const a = value(2);
 * const b = a.pow(3);
 * b.backward();
 * console.log(a.grad); // 12
 * ```
 * @category Autograd
 */
export function value(data: number, requiresGrad = true): Value {
  return new Value(data, requiresGrad);
}

function badOperand(op: ElementwiseOp, b: unknown): never {
  throw new ArgumentError(`${op.name}: b must be a Value or a number, got ${b === null ? 'null' : typeof b === 'object' ? (b as object).constructor.name : typeof b}`);
}

/** Applies an elementwise op to scalar operands, recording it on the scalar lane. @internal */
export function applyScalar(op: ElementwiseOp, a: Value | number, b: Value | number): Value {
  const xa = typeof a === 'number' ? a : a.data;
  const xb = typeof b === 'number' ? b : b instanceof Value ? b.data : badOperand(op, b);
  const out = new Value(op.forward(xa, xb), true, false);
  recordScalar(op.code, a, b, xa, xb, out);
  return out;
}
