// Value: the scalar of the scalar lane, with one unrolled method per elementwise op.
import { ArgumentError } from '../base/errors.ts';
import type { ElementwiseOp } from '../ops/define.ts';
import { describeForeign, foreignCopy } from '../base/brand.ts';
import { isRecorded, pushOpRow, pushOtherRow, retainRow, rowGrad, scalarBackward } from './scalar-tape.ts';
import { laneOps } from './bindings.ts';
import { state } from './tape.ts';

// The lane ids of the methods' ops: their indices in LANE_OPS (graph/bindings.ts); a test checks each method's recorded op.
const ID_ADD = 0, ID_SUB = 1, ID_MUL = 2, ID_DIV = 3, ID_POW = 4, ID_MAXIMUM = 5, ID_MINIMUM = 6;
const ID_NEG = 7, ID_EXP = 8, ID_LOG = 9, ID_LOG1P = 10, ID_SQRT = 11, ID_ABS = 12, ID_SQUARE = 13;
const ID_SIGMOID = 14, ID_TANH = 15, ID_RELU = 16, ID_SOFTPLUS = 17, ID_SIN = 18, ID_COS = 19;

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
 * the graph it ran through, so the tape does not grow from step to step. A computation you never
 * backpropagate (an accuracy evaluated each epoch, without `noGrad`) is released once 16 backward passes
 * of other graphs have run without reaching it, so it costs neither memory nor time in later steps;
 * backward through it after that fails with a message saying so.
 *
 * Gradients accumulate: every `backward()` adds into `.grad` of each leaf it reaches (and of values that
 * called {@link Value.retainGrad}), until you zero it. An intermediate value's `.grad` is the most recent
 * backward's, readable until newer operations reuse its row on the tape (an unrelated backward pass
 * leaves it alone); {@link Value.retainGrad} keeps it for good.
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
  // The fields are assigned in the constructor only (`declare`), in one order, so every handle shares
  // one hidden class and no field initializer runs first. `accGrad` holds `undefined` for intermediates:
  // a field that only ever held numbers would box a fresh 0 for every handle an op makes.
  /** The number this value holds. */
  declare data: number;
  /** Whether ops on this value are recorded; `false` makes it a constant. */
  declare requiresGrad: boolean;
  /** Whether the user made it (true) or an op did (false). */
  declare readonly isLeaf: boolean;
  /** @internal Row on the tape's scalar lane, or -1. */
  declare slot: number;
  /** @internal Generation of that row when this value took it. */
  declare gen: number;
  /** @internal Whether backward writes this non-leaf's gradient into the handle. */
  declare isRetainingGrad: boolean;
  /** @internal Accumulated gradient of a leaf (or of a non-leaf that called {@link Value.retainGrad}); undefined otherwise. */
  declare accGrad: number | undefined;

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
    this.slot = -1;
    this.gen = 0;
    this.isRetainingGrad = false;
    this.accGrad = isLeaf ? 0 : undefined;
    // An op's output is announced by the op (applyScalar); the methods pass a literal false, so their
    // inlined constructor has no test left (measured: a second tracer test per op cost ~1 %).
    if (isLeaf && state.tracer !== null) state.tracer.onScalarValue(this);
  }

  /**
   * ∂root/∂this. For leaves it accumulates over backward passes until you zero it (`p.grad = 0`).
   * For an intermediate value it is the gradient of the most recent backward pass, readable until newer
   * operations reuse its row on the tape; call {@link Value.retainGrad} to keep it in the handle.
   */
  get grad(): number {
    return this.accGrad ?? rowGrad(this);
  }

  /**
   * Overwrites the held gradient, as `p.grad = 0` does to zero a leaf (or a value that called
   * {@link Value.retainGrad}). An intermediate value that does not retain its gradient reads it from the
   * tape, so the write does not show there.
   */
  set grad(g: number) {
    if (state.tracer !== null) state.tracer.onScalarGradWrite(this, g);
    if (this.accGrad !== undefined) this.accGrad = g;
  }

  /** Keeps this intermediate value's gradient in the handle (accumulating), as leaves do. */
  retainGrad(): this {
    if (!this.isLeaf && !this.isRetainingGrad) {
      this.isRetainingGrad = true;
      this.accGrad = 0;
      retainRow(this);
    }
    return this;
  }

  // Each method reads its op's rule and calls its forward and partials itself, so every call site sees
  // one op and V8 inlines them; a shared helper taking the op would see all of them and call through.
  /** this + b */
  add(b: Value | number): Value {
    const op = laneOps[ID_ADD]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_ADD, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** this − b */
  sub(b: Value | number): Value {
    const op = laneOps[ID_SUB]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_SUB, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** this · b */
  mul(b: Value | number): Value {
    const op = laneOps[ID_MUL]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_MUL, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** this / b */
  div(b: Value | number): Value {
    const op = laneOps[ID_DIV]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_DIV, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** thisᵇ */
  pow(b: Value | number): Value {
    const op = laneOps[ID_POW]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_POW, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** max(this, b); ties split the gradient evenly. */
  maximum(b: Value | number): Value {
    const op = laneOps[ID_MAXIMUM]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_MAXIMUM, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** min(this, b); ties split the gradient evenly. */
  minimum(b: Value | number): Value {
    const op = laneOps[ID_MINIMUM]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, b);
    const x = this.data, z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b), y = r.forward(x, z);
    return isRecorded(this, b) ? pushOpRow(ID_MINIMUM, r.da(x, z, y), r.db(x, z, y), new Value(y, true, false), x, z, y) : new Value(y, false, false);
  }
  /** −this */
  neg(): Value {
    const op = laneOps[ID_NEG]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_NEG, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** eˣ */
  exp(): Value {
    const op = laneOps[ID_EXP]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_EXP, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** ln x */
  log(): Value {
    const op = laneOps[ID_LOG]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_LOG, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** ln(1 + x) */
  log1p(): Value {
    const op = laneOps[ID_LOG1P]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_LOG1P, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** √x */
  sqrt(): Value {
    const op = laneOps[ID_SQRT]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_SQRT, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** |x| (subgradient 0 at 0) */
  abs(): Value {
    const op = laneOps[ID_ABS]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_ABS, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** x² */
  square(): Value {
    const op = laneOps[ID_SQUARE]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_SQUARE, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** 1 / (1 + e⁻ˣ) */
  sigmoid(): Value {
    const op = laneOps[ID_SIGMOID]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_SIGMOID, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** tanh x */
  tanh(): Value {
    const op = laneOps[ID_TANH]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_TANH, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** max(x, 0) (subgradient 0 at 0) */
  relu(): Value {
    const op = laneOps[ID_RELU]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_RELU, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** ln(1 + eˣ) */
  softplus(): Value {
    const op = laneOps[ID_SOFTPLUS]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_SOFTPLUS, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** sin x */
  sin(): Value {
    const op = laneOps[ID_SIN]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_SIN, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }
  /** cos x */
  cos(): Value {
    const op = laneOps[ID_COS]!, r = numberRule(op);
    if (state.tracer !== null) return applyScalar(op, this, 0);
    const x = this.data, y = r.forward(x, 0);
    return isRecorded(this, 0) ? pushOpRow(ID_COS, r.da(x, 0, y), 0, new Value(y, true, false), x, 0, y) : new Value(y, false, false);
  }

  /**
   * Backpropagates from this value: every value it depends on gets `.grad += ∂this/∂value`.
   * Releases the graph afterwards unless `retainGraph`.
   * @throws {@link GradError} when the graph was released by an earlier backward, or this value does not require grad.
   */
  backward(opts: ScalarBackwardOptions = {}): void {
    if (state.tracer !== null) state.tracer.onScalarBackward(this, opts.grad ?? 1);
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

/**
 * Marks this copy's `Value` prototype, privately (another copy has its own symbol, so its values fail the
 * test and `badOperand` names the copy). The methods test an operand with it instead of `instanceof`:
 * inside the class, `b instanceof Value` compiles to a call of V8's generic InstanceOf builtin (the class
 * binding is no constant to the optimizer), while a property the prototype holds compiles to a map check
 * (measured: 15-20 % of micrograd's step).
 */
const IS_VALUE = Symbol('Value');
Object.defineProperty(Value.prototype, IS_VALUE, { value: true });

/** Whether `b` is a `Value` of this copy (see {@link IS_VALUE}). */
function isValue(b: unknown): b is Value {
  return (b as { readonly [IS_VALUE]?: true } | null | undefined)?.[IS_VALUE] === true;
}

/** An elementwise op's forward and partials seen over numbers (given numbers, they return numbers). */
interface NumberRule {
  readonly name: string;
  readonly rule: string;
  readonly arity: 1 | 2;
  readonly forward: (a: number, b: number) => number;
  /** ∂y/∂a at (a, b, y); for a unary op dy/dx at (x, y). */
  readonly da: (a: number, b: number, y: number) => number;
  /** ∂y/∂b at (a, b, y); absent for a unary op. */
  readonly db: (a: number, b: number, y: number) => number;
}

/** The number view of an elementwise op (a type-level cast: derivatives written over `Num` return numbers for numbers). */
function numberRule(op: ElementwiseOp): NumberRule {
  return op as unknown as NumberRule;
}

/** The typed error for an operand that is neither a `Value` nor a number. */
function badOperand(r: NumberRule, b: unknown): never {
  const other = foreignCopy(b, 'Value') ?? foreignCopy(b, 'Tensor');
  const got = other !== undefined ? describeForeign(foreignCopy(b, 'Value') ? 'Value' : 'Tensor', other)
    : b === null ? 'null' : typeof b === 'object' ? (b as object).constructor?.name ?? 'object' : typeof b;
  throw new ArgumentError(`${r.name}: b must be a Value or a number, got ${got}`);
}

/**
 * Applies an elementwise op to scalar operands, recording it on the scalar lane: the free functions' path,
 * and the methods' path while `compile` traces (it tells the tracer the op, its operands and its output,
 * in that order; the methods' own path tests for a tracer once and calls no hook).
 * @internal
 */
export function applyScalar(op: ElementwiseOp, a: Value | number, b: Value | number): Value {
  const tracer = state.tracer;
  if (tracer !== null) tracer.onScalarOp(op);
  const r = numberRule(op);
  const x = typeof a === 'number' ? a : a.data;
  const z = typeof b === 'number' ? b : isValue(b) ? b.data : badOperand(r, b);
  const y = r.forward(x, z);
  if (tracer !== null) tracer.onScalarOperands(a, b);
  const isKept = isRecorded(a, b);
  const out = new Value(y, isKept, false);
  if (tracer !== null) tracer.onScalarValue(out);
  return isKept ? pushOtherRow(op, r.da(x, z, y), op.arity === 1 ? 0 : r.db(x, z, y), out, x, z, y) : out;
}
