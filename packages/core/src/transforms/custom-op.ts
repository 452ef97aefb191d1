// customOp: user-defined ops with their own forward and VJP, recorded like built-in ones.
import { ArgumentError, DTypeError, GradError } from '../base/errors.ts';
import { describe, record, type BackwardContext, type OpDef } from '../ops/define.ts';
import { noGrad } from '../graph/tape.ts';
import { lend } from '../graph/grad-pool.ts';
import { Tensor, type NestedArray } from '../graph/tensor.ts';
import { tensor } from '../graph/creation.ts';
import type { Shape } from '../base/shape.ts';

/** Flat row-major elements with their shape, as a custom forward may return them. @category Autograd */
export interface CustomData {
  /** The elements, row-major. */
  readonly data: ArrayLike<number>;
  /** The output's shape. */
  readonly shape: Shape;
}

/** What a custom forward may return: a tensor, nested arrays, or flat data with its shape. @category Autograd */
export type CustomOutput = Tensor | NestedArray | CustomData;

/** A custom forward's output together with the values it saves for backward. @category Autograd */
export interface CustomForwardResult<A> {
  /** The op's output. */
  readonly output: CustomOutput;
  /** Saved values (masks, intermediate tensors); backward receives them as `attrs`. */
  readonly attrs: A;
}

/**
 * Specification of a user-defined op for {@link customOp}.
 * @category Autograd
 */
export interface CustomOpSpec<A = undefined> {
  /** The op's name: shown in errors, graphs and the chain-rule trace. */
  readonly name: string;
  /**
   * The forward pass. Gets the inputs as tensors (their raw elements are `x.data`, row-major) and runs
   * with recording off. Returns the output, or `{ output, attrs }` to hand saved values to `backward`.
   */
  readonly forward: (...inputs: Tensor[]) => CustomOutput | CustomForwardResult<A>;
  /**
   * The VJP: gets `{ inputs, output, dy, attrs }` and returns one gradient per input (in the output's or the
   * input's shape; the engine undoes broadcasting), `null` for none, or a single tensor for a one-input op.
   * Written with tensor ops, it is itself differentiable (so `createGraph` and the transforms see second
   * derivatives); written on raw arrays, its gradient is treated as a constant.
   */
  readonly backward: (ctx: BackwardContext<A>) => readonly (Tensor | null)[] | Tensor | null;
  /** The derivation, shown by the chain-rule trace (default: `custom op '<name>': user-supplied backward`). */
  readonly rule?: string;
  /** An op with no gradient (as comparisons): nothing is recorded. */
  readonly isNondifferentiable?: boolean;
}

/** The callable form of a custom op: tensors (numbers become 0-d constants) to a tensor. @category Autograd */
export interface CustomOpFn {
  (...inputs: (Tensor | number)[]): Tensor;
  /** The op definition the engine runs. */
  readonly op: OpDef;
}

function isOutputWithAttrs(r: unknown): r is CustomForwardResult<unknown> {
  return typeof r === 'object' && r !== null && !(r instanceof Tensor) && !Array.isArray(r) && 'output' in r;
}

function toTensor(name: string, r: unknown, dtype: Tensor['dtype']): Tensor {
  // A fresh tensor even when forward returns an input: recording must not rewrite an existing tensor's node.
  if (r instanceof Tensor) return Tensor.fromData(r.data.slice(), r.shape, r.dtype);
  if (typeof r === 'number' || Array.isArray(r)) return tensor(r as NestedArray, { dtype });
  if (typeof r === 'object' && r !== null && 'data' in r && 'shape' in r) {
    const { data, shape } = r as CustomData;
    return tensor(Array.from(data), { shape, dtype });
  }
  throw new ArgumentError(`${name}: forward must return a Tensor, nested arrays or { data, shape }, got ${describe(r)}`);
}

/**
 * Defines a new differentiable op from a forward and a backward rule, without touching the core: the
 * result is recorded on the tape like a built-in op, so `backward`, `gradcheck`, the transforms
 * ({@link grad}, {@link jacobian}…) and the graph tools all see it.
 *
 * The rule is a VJP: for `y = op(x₁, …, xₙ)` and upstream gradient `dy = ∂L/∂y`, backward returns
 * `dxᵢ = (∂y/∂xᵢ)ᵀ·dy`. Test it with {@link gradcheck} (and {@link gradgradcheck} for second order).
 * @param spec `name`, `forward`, `backward`, and optionally `rule` and `isNondifferentiable`.
 * @returns The op as a function of tensors (numbers become 0-d constants of the first tensor's dtype).
 * @throws {@link ArgumentError} for a spec without a name, forward or backward; the op throws
 *   {@link ArgumentError} for non-tensor inputs, {@link DTypeError} for mixed dtypes, and the engine a
 *   {@link GradError} when backward returns the wrong number of gradients or the wrong shapes.
 * @example
 * ```ts
 * import { customOp, gradcheck, tensor } from '@tapegrad/core';
 * // y = x³, dy/dx = 3x²  ⇒  dx = dy·3x²
 * const cube = customOp({
 *   name: 'cube',
 *   forward: (x) => ({ data: x.data.map((v) => v ** 3), shape: x.shape }),
 *   backward: ({ inputs: [x], dy }) => [dy.mul(x!.square()).mul(3)],
 * });
 * console.log(gradcheck((x) => cube(x), [tensor([0.5, -2])]).ok); // true
 * ```
 * @category Autograd
 */
export function customOp<A = undefined>(spec: CustomOpSpec<A>): CustomOpFn {
  if (typeof spec !== 'object' || spec === null) throw new ArgumentError(`customOp: spec must be an object, got ${describe(spec)}`);
  const name = spec.name;
  if (typeof name !== 'string' || name.length === 0) throw new ArgumentError(`customOp: name must be a non-empty string, got ${describe(name)}`);
  if (typeof spec.forward !== 'function') throw new ArgumentError(`customOp: forward of '${name}' must be a function, got ${describe(spec.forward)}`);
  if (typeof spec.backward !== 'function') throw new ArgumentError(`customOp: backward of '${name}' must be a function, got ${describe(spec.backward)}`);
  const userBackward = spec.backward;
  const op: OpDef<A> = {
    name,
    rule: spec.rule ?? `custom op '${name}': user-supplied backward`,
    isNondifferentiable: spec.isNondifferentiable ?? false,
    backward: (ctx) => {
      // User code may keep what it allocates, so it gets plain storage, never the engine's pool.
      const wasLending = lend(false);
      let r: ReturnType<typeof userBackward>;
      try {
        r = userBackward(ctx);
      } finally {
        lend(wasLending);
      }
      const gs = r instanceof Tensor || r === null ? [r] : r;
      if (!Array.isArray(gs) || gs.length !== ctx.inputs.length) {
        throw new GradError(`backward of '${name}': expected ${ctx.inputs.length} gradient(s), one per input, got ${Array.isArray(gs) ? gs.length : describe(gs)}`);
      }
      gs.forEach((g, k) => {
        if (g !== null && g !== undefined && !(g instanceof Tensor)) {
          throw new GradError(`backward of '${name}': the gradient for input ${k} must be a Tensor or null, got ${describe(g)}`);
        }
      });
      return gs as readonly (Tensor | null)[];
    },
  };
  const fn = ((...args: (Tensor | number)[]): Tensor => {
    const first = args.find((x): x is Tensor => x instanceof Tensor);
    const dtype = first?.dtype ?? 'float64';
    const inputs = args.map((x, k) => {
      if (x instanceof Tensor) {
        if (x.dtype !== dtype) throw new DTypeError(`${name}: inputs must have the same dtype, got input 0 ${dtype} and input ${k} ${x.dtype}`);
        return x;
      }
      if (typeof x === 'number') return tensor(x, { dtype });
      throw new ArgumentError(`${name}: input ${k} must be a Tensor or a number, got ${describe(x)}`);
    });
    const r = noGrad(() => spec.forward(...inputs));
    const hasAttrs = isOutputWithAttrs(r);
    const output = toTensor(name, hasAttrs ? r.output : r, dtype);
    return record(op, inputs, output, (hasAttrs ? r.attrs : undefined) as A);
  }) as CustomOpFn;
  Object.defineProperty(fn, 'op', { value: op });
  return fn;
}
