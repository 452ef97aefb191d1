// The op definition kit: defineOp/defineUnary/defineBinary, record(), and the generic elementwise forward loop.
import { captureStack, checkForward } from '../graph/anomaly.ts';
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { describeForeign, foreignCopy } from '../base/brand.ts';
import { planBinary, type BroadcastPlan } from '../kernels/elementwise.ts';
import type { SimdInstruction } from '../kernels/wasm/elementwise-wasm.ts';
import { broadcastIndex, broadcastShapes, fmt, sizeOf, type Shape } from '../base/shape.ts';
import { lentStorage, scratchFor } from '../graph/grad-pool.ts';
import { pushNode, state, type BackwardContext, type BackwardRule, type OpDef, type ReplayResult, type ReplayRule, type TapeNode } from '../graph/tape.ts';
import { ops } from '../graph/bindings.ts';
import { Tensor } from '../graph/tensor.ts';
import { scalarLike } from '../graph/creation.ts';
import type { DType, FloatArray } from '../base/dtype.ts';
import { applyScalar, Value } from '../graph/value.ts';

// The op types live with the tape node that holds them; op files import them from here.
export type { BackwardContext, BackwardRule, OpDef, ReplayResult, ReplayRule };

/** A number or a tensor: what elementwise derivatives are written over, so one rule serves both lanes. @category Autograd */
export type Num = number | Tensor;

/** An elementwise op: number functions for the forward and the local derivatives, shared by both lanes. @category Autograd */
export interface ElementwiseOp extends OpDef {
  /** 1 for unary ops, 2 for binary. */
  readonly arity: 1 | 2;
  /** The forward on numbers (unary ops ignore `b`). */
  readonly forward: (a: number, b: number) => number;
  /** ∂y/∂a, over numbers or tensors. */
  readonly da: (a: Num, b: Num, y: Num) => Num;
  /** ∂y/∂b, over numbers or tensors (binary ops). */
  readonly db: ((a: Num, b: Num, y: Num) => Num) | undefined;
  /** dy/dx at (x, y), for unary ops. */
  readonly derivative?: (x: Num, y: Num) => Num;
  /** The unary op's whole-buffer forward (a SIMD kernel, as sigmoid's), when it has one. @internal */
  readonly kernel?: (x: FloatArray, y: FloatArray) => void;
  /**
   * The one IEEE-754 instruction the forward is, when it is one (add, sub, mul, div, neg): a compiled
   * run of such ops becomes WebAssembly SIMD with the same bits. @internal
   */
  readonly instruction?: SimdInstruction;
}

/**
 * A symbolic argument (an expression of `symbolic/`): an op called on one builds an expression node
 * instead of computing, so the same public ops, and the rules written with them, also build derivatives
 * as expressions. The ops only test for the `isSymbolic` flag, so they import nothing from `symbolic/`.
 * @internal
 */
export interface SymbolicArg {
  /** Always true. */
  readonly isSymbolic: true;
  /** Builds `fn(...args, ...rest)` as an expression node recording `op`. */
  apply(op: OpDef<never>, fn: (...xs: never[]) => unknown, args: readonly unknown[], rest?: readonly unknown[]): unknown;
  /** The number of elements over the axes (all when undefined), as an expression. */
  count(axis?: number | readonly number[]): unknown;
}

/** The first symbolic argument among `xs`, or null (checked after the number, Value and Tensor cases). @internal */
export function symbolicIn(...xs: readonly unknown[]): SymbolicArg | null {
  for (const x of xs) {
    if (typeof x === 'object' && x !== null && (x as { isSymbolic?: unknown }).isSymbolic === true) return x as SymbolicArg;
  }
  return null;
}

/**
 * Defines a general op for the engine (what an op file passes to `record`).
 * @param def The op's name, derivation `rule`, `backward` VJP and optional `rawBackward`.
 * @returns The same definition, typed with its attributes `A`.
 * @category Autograd
 */
export function defineOp<A = unknown>(def: OpDef<A>): OpDef<A> {
  return def;
}

/** The callable form of a unary elementwise op: numbers to numbers, values to values, tensors to tensors. @category Elementwise */
export interface UnaryFn {
  (x: number): number;
  (x: Value): Value;
  (x: Tensor): Tensor;
  (x: Num): Num;
  /** The op definition the engine runs. */
  readonly op: ElementwiseOp;
}

/** The callable form of a binary elementwise op, broadcasting tensors. @category Elementwise */
export interface BinaryFn {
  (a: number, b: number): number;
  (a: Value, b: Value | number): Value;
  (a: number, b: Value): Value;
  (a: Tensor, b: Tensor | number): Tensor;
  (a: number, b: Tensor): Tensor;
  (a: Num, b: Num): Num;
  /** The op definition the engine runs. */
  readonly op: ElementwiseOp;
}

/** Specification of a unary elementwise op. @category Autograd */
export interface UnarySpec {
  /** The op's one name: file, function, registry key and graph label. */
  readonly name: string;
  /** The derivation of the backward rule, e.g. `y = tanh(x), dy/dx = 1 − y² ⇒ dx = dy·(1 − y²)`. */
  readonly rule: string;
  /** The forward on one number, y = f(x). */
  readonly forward: (x: number) => number;
  /** dy/dx at (x, y), written with public ops so it works on numbers and on tensors. */
  readonly derivative: (x: Num, y: Num) => Num;
  /** Set for ops without a gradient (comparisons, sign): they record nothing. */
  readonly isNondifferentiable?: boolean;
  /**
   * @internal Optional forward loop over whole arrays, y = f(x); must equal `forward` element by element on
   * float64 buffers (on float32 buffers it may compute in float32, within a few float32 ulps, as sigmoid's does).
   */
  readonly kernel?: (x: FloatArray, y: FloatArray) => void;
  /** @internal The one IEEE-754 instruction `forward` is, if it is one (see `ElementwiseOp.instruction`). */
  readonly instruction?: SimdInstruction;
  /**
   * Optional fused raw backward, dx = dy·f′(x, y) over whole arrays, used when `createGraph` is off; an
   * op carries one only where `scripts/raw-backward-bench.ts` shows it beats the differentiable rule (its
   * file quotes the figures). Must agree with `derivative` (including dx = 0 where dy = 0). `dx` may be
   * `dy` itself, so element i of dy is read before element i of dx is written, and every element of dx is written.
   * @internal
   */
  readonly rawBackward?: (x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray) => void;
}

/**
 * A raw gradient loop of a binary op: from the upstream gradient `dy` and the operands, ∂L/∂a (or b)
 * in the output's shape. `p` maps a and b onto the output. It may return `dy` itself (no copy).
 * @internal
 */
export type BinaryGradKernel = (dy: FloatArray, a: FloatArray, b: FloatArray, y: FloatArray, p: BroadcastPlan) => FloatArray;

/** Specification of a binary elementwise op. @category Autograd */
export interface BinarySpec {
  /** The op's one name: file, function, registry key and graph label. */
  readonly name: string;
  /** The derivation of the backward rule, e.g. `y = a·b ⇒ da = dy·b, db = dy·a`. */
  readonly rule: string;
  /** The forward on two numbers, y = f(a, b). */
  readonly forward: (a: number, b: number) => number;
  /** ∂y/∂a at (a, b, y). */
  readonly da: (a: Num, b: Num, y: Num) => Num;
  /** ∂y/∂b at (a, b, y). */
  readonly db: (a: Num, b: Num, y: Num) => Num;
  /** Set for ops without a gradient (comparisons): they record nothing. */
  readonly isNondifferentiable?: boolean;
  /** @internal Optional forward loop under a broadcast plan; must equal `forward` element by element. */
  readonly kernel?: (a: FloatArray, b: FloatArray, out: FloatArray, p: BroadcastPlan) => void;
  /** @internal The one IEEE-754 instruction `forward` is, if it is one (see `ElementwiseOp.instruction`). */
  readonly instruction?: SimdInstruction;
  /**
   * @internal Optional raw loops for da and db, used when `createGraph` is off and the broadcast has a plan;
   * kept only where the benchmark shows they pay (as `rawBackward` of a unary op). Must agree with `da`, `db`.
   */
  readonly rawGrads?: readonly [BinaryGradKernel, BinaryGradKernel];
}

/**
 * Defines a unary elementwise op from its number forward and its derivative. The VJP
 * `dx = dy · f′(x, y)` is derived here once, with the public ops, so it is differentiable; with
 * `createGraph` off it runs unrecorded on whole tensors: a per-element loop calling `derivative` on numbers
 * was slower for 23 of 24 ops (differentiable/loop 0.002–0.89 at 256×256, relu 1.01; scripts/raw-backward-bench.ts).
 * @param spec The name, derivation `rule`, number `forward` and `derivative` (written with public ops).
 * @returns The op as a function of numbers, `Value`s and tensors.
 * @example
 * ```ts
 * import { defineUnary, gradcheck, mul, square, tensor } from '@tapegrad/core';
 * const cube = defineUnary({
 *   name: 'cube',
 *   rule: 'y = x³, dy/dx = 3x² ⇒ dx = dy·3x²',
 *   forward: (x) => x ** 3,
 *   derivative: (x) => mul(3, square(x)),
 * });
 * console.log(cube(2), gradcheck((x) => cube(x), [tensor([0.5, -2])]).ok); // 8 true
 * ```
 * @category Autograd
 */
export function defineUnary(spec: UnarySpec): UnaryFn {
  const forward = spec.forward;
  const derivative = spec.derivative;
  const raw = spec.rawBackward;
  const op: ElementwiseOp = {
    name: spec.name,
    rule: spec.rule,
    isNondifferentiable: spec.isNondifferentiable ?? false,
    arity: 1,
    forward: (a) => forward(a),
    da: (a, _b, y) => derivative(a, y),
    db: undefined,
    derivative,
    ...(spec.kernel === undefined ? {} : { kernel: spec.kernel }),
    ...(spec.instruction === undefined ? {} : { instruction: spec.instruction }),
    backward: ({ inputs: [x], output: y, dy }) => [scaleBy(dy, derivative(x!, y))],
    ...(raw === undefined
      ? {}
      : {
          rawBackward: ({ inputs: [x], output: y, dy }: BackwardContext): Tensor[] => {
            const dx = scratchFor(dy);
            raw(x!.data, y.data, dy.data, dx);
            return [Tensor.fromData(dx, y.shape, y.dtype)];
          },
        }),
  };
  const fn = ((x: Num | Value): Num | Value => {
    if (typeof x === 'number') return forward(x);
    if (x instanceof Value) return applyScalar(op, x, 0);
    if (x instanceof Tensor) {
      const xd = x.data;
      const out = alloc(x.dtype, xd.length);
      if (spec.kernel !== undefined) spec.kernel(xd, out);
      else for (let i = 0; i < out.length; i++) out[i] = forward(xd[i]!);
      return record(op, [x], Tensor.fromData(out, x.shape, x.dtype), undefined);
    }
    const s = symbolicIn(x);
    if (s !== null) return s.apply(op as OpDef<never>, fn, [x]) as Num;
    throw new ArgumentError(`${spec.name}: x must be a number, Value or Tensor, got ${describe(x)}`);
  }) as UnaryFn;
  Object.defineProperty(fn, 'op', { value: op });
  return fn;
}

/**
 * Defines a binary elementwise op with NumPy broadcasting from its number forward and its two partial
 * derivatives. The VJPs `da = dy · ∂y/∂a`, `db = dy · ∂y/∂b` (written with the public ops, so differentiable)
 * stay in the output's shape; the engine sums them back to each input's shape.
 * @param spec The name, derivation `rule`, number `forward` and partials `da`, `db` (written with public ops).
 * @returns The op as a broadcasting function of numbers, `Value`s and tensors.
 * @example
 * ```ts
 * import { defineBinary, gradcheck, mul, sub, tensor } from '@tapegrad/core';
 * const sqdiff = defineBinary({
 *   name: 'sqdiff',
 *   rule: 'y = (a − b)², ∂y/∂a = 2(a − b), ∂y/∂b = −2(a − b) ⇒ da = dy·2(a − b), db = −dy·2(a − b)',
 *   forward: (a, b) => (a - b) ** 2,
 *   da: (a, b) => mul(2, sub(a, b)),
 *   db: (a, b) => mul(-2, sub(a, b)),
 * });
 * console.log(sqdiff(3, 1), gradcheck((a, b) => sqdiff(a, b), [tensor([1, 2]), tensor([0.5])]).ok); // 4 true
 * ```
 * @category Autograd
 */
export function defineBinary(spec: BinarySpec): BinaryFn {
  const forward = spec.forward;
  const { da, db, kernel, rawGrads } = spec;
  const differentiable = ({ inputs: [a, b], output: y, dy }: BackwardContext): (Tensor | null)[] => [
    a!.requiresGrad ? scaleBy(dy, da(a!, b!, y)) : null,
    b!.requiresGrad ? scaleBy(dy, db(a!, b!, y)) : null,
  ];
  const op: ElementwiseOp = {
    name: spec.name,
    rule: spec.rule,
    isNondifferentiable: spec.isNondifferentiable ?? false,
    arity: 2,
    forward,
    da,
    db,
    ...(spec.instruction === undefined ? {} : { instruction: spec.instruction }),
    backward: differentiable,
    ...(rawGrads === undefined
      ? {}
      : {
          rawBackward: (ctx: BackwardContext): readonly (Tensor | null)[] => {
            const { inputs: [a, b], output: y, dy } = ctx;
            const p = planBinary(y.shape, a!.shape, b!.shape);
            // A broadcast with no plan (rare: interleaved size-1 axes) takes the differentiable rule.
            if (p === null) return differentiable(ctx);
            return [a!, b!].map((x, k) => {
              if (!x.requiresGrad) return null;
              const g = rawGrads[k]!(dy.data, a!.data, b!.data, y.data, p);
              return g === dy.data ? dy : Tensor.fromData(g, y.shape, y.dtype);
            });
          },
        }),
  };
  const fn = ((a: Num | Value, b: Num | Value): Num | Value => {
    if (typeof a === 'number' && typeof b === 'number') return forward(a, b);
    if (a instanceof Value || b instanceof Value) {
      if ((a instanceof Value || typeof a === 'number') && (b instanceof Value || typeof b === 'number')) {
        return applyScalar(op, a, b);
      }
      throw new ArgumentError(`${spec.name}: cannot mix Value and Tensor, got a ${describe(a)} and b ${describe(b)}`);
    }
    const s = symbolicIn(a, b);
    if (s !== null) return s.apply(op as OpDef<never>, fn, [a, b]) as Num;
    if (!(a instanceof Tensor || typeof a === 'number')) {
      throw new ArgumentError(`${spec.name}: a must be a number, Value or Tensor, got ${describe(a)}`);
    }
    if (!(b instanceof Tensor || typeof b === 'number')) {
      throw new ArgumentError(`${spec.name}: b must be a number, Value or Tensor, got ${describe(b)}`);
    }
    const ta = a instanceof Tensor ? a : scalarLike(a, (b as Tensor).dtype);
    const tb = b instanceof Tensor ? b : scalarLike(b, ta.dtype);
    return applyBinaryTensor(op, ta, tb, kernel);
  }) as BinaryFn;
  Object.defineProperty(fn, 'op', { value: op });
  return fn;
}

function applyBinaryTensor(op: ElementwiseOp, a: Tensor, b: Tensor, kernel: BinarySpec['kernel']): Tensor {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${op.name}: operands must have the same dtype, got a ${a.dtype} and b ${b.dtype}`);
  }
  const shape = broadcastShapes(a.shape, b.shape, op.name);
  const n = sizeOf(shape);
  const out = alloc(a.dtype, n, op.name, shape);
  const ad = a.data;
  const bd = b.data;
  const f = op.forward;
  const p = kernel === undefined ? null : planBinary(shape, a.shape, b.shape);
  if (p !== null) kernel!(ad, bd, out, p);
  else if (ad.length === n && bd.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bd[i]!);
  } else if (bd.length === 1 && ad.length === n) {
    const bv = bd[0]!;
    for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bv);
  } else if (ad.length === 1 && bd.length === n) {
    const av = ad[0]!;
    for (let i = 0; i < n; i++) out[i] = f(av, bd[i]!);
  } else {
    const ia = broadcastIndex(shape, a.shape);
    const ib = broadcastIndex(shape, b.shape);
    for (let i = 0; i < n; i++) out[i] = f(ad[ia[i]!]!, bd[ib[i]!]!);
  }
  return record(op, [a, b], Tensor.fromData(out, shape, a.dtype), undefined);
}

/**
 * dy · partial, skipping the multiplication for the constant partials 1 and −1. Elementwise VJPs take a
 * zero upstream gradient as no dependence: where dy is exactly 0 the result is 0 even when the local
 * derivative is ±∞ or NaN, so the branch `where` did not take (log at 0, sqrt below 0) adds 0, not NaN.
 * The ops' raw loops do the same with one test per element.
 */
function scaleBy(dy: Tensor, partial: Num): Tensor {
  if (partial === 1) return dy;
  if (partial === -1) return dy.neg();
  const g = dy.mul(partial);
  if (typeof partial === 'number' || !hasNonFinite(g.data)) return g;
  return ops.where(ops.ne(dy, 0), g, 0);
}

function hasNonFinite(d: FloatArray): boolean {
  for (let i = 0; i < d.length; i++) if (d[i]! - d[i]! !== 0) return true;
  return false;
}

/**
 * A fresh typed array of the dtype, zeroed (pooled storage while the engine runs a rule; see
 * `graph/grad-pool.ts`). A size the runtime cannot allocate is a {@link ShapeError} naming
 * the op and the size, not a bare `RangeError` from deep inside.
 * @internal
 */
export function alloc(dtype: DType, n: number, op = 'alloc', shape?: Shape): FloatArray {
  const lent = lentStorage(dtype === 'float32', n);
  if (lent !== null) return lent;
  try {
    return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ShapeError(
      `${op}: ${shape === undefined ? 'the result' : `shape ${fmt(shape)}`} needs ${n} elements (${n * (dtype === 'float32' ? 4 : 8)} bytes of ${dtype}), more than can be allocated`,
    );
  }
}

/**
 * Records `output = op(...inputs)` on the tensor lane when recording is on and an input requires
 * grad. Call it last, after every check has passed, so a failed op leaves nothing on the tape.
 * @internal
 */
export function record<A>(op: OpDef<A>, inputs: readonly Tensor[], output: Tensor, attrs: A): Tensor {
  if (state.tracer !== null) state.tracer.onOp(op as OpDef, inputs, output, attrs);
  // Anomaly mode checks every op's output, recorded or not; normal runs pay one flag test.
  if (state.isAnomalyMode) checkForward(op, inputs, output);
  if (!state.isRecording || op.isNondifferentiable) return output;
  let needsGrad = false;
  for (const x of inputs) if (x.requiresGrad) needsGrad = true;
  if (!needsGrad) return output;
  const node: TapeNode = {
    id: state.nextId++,
    op: op as OpDef,
    inputs,
    output,
    attrs,
    inputVersions: inputs.map((x) => x.version),
    outputVersion: output.version,
    isReleased: false,
    stack: state.isAnomalyMode ? captureStack() : undefined,
    scope: state.scope,
  };
  output.requiresGrad = true;
  output.node = node;
  pushNode(node);
  return output;
}

/** A short description of an argument for error messages. @internal */
export function describe(x: unknown): string {
  if (x instanceof Tensor) return `Tensor of shape [${x.shape.join(', ')}]`;
  if (x instanceof Value) return 'Value';
  for (const kind of ['Tensor', 'Value'] as const) {
    const other = foreignCopy(x, kind);
    if (other !== undefined) return describeForeign(kind, other);
  }
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  return typeof x;
}

/** Asserts `x` is a Tensor. @internal */
export function asTensor(op: string, name: string, x: unknown): Tensor {
  if (x instanceof Tensor) {
    // A transferred (detached) buffer reads as empty; every kernel would then fail its own way.
    if (x.data.byteLength === 0 && sizeOf(x.shape) !== 0) {
      throw new ArgumentError(`${op}: ${name}'s buffer was detached (transferred to another thread), got a Tensor of shape [${x.shape.join(', ')}] with no data`);
    }
    return x;
  }
  throw new ArgumentError(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
}

/** Shapes in messages. @internal */
export type { Shape };
