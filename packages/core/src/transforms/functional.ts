// The JAX-style transforms: grad, valueAndGrad, vjp, jvp, jacobian, hessian, hvp.
import { computeGrads } from '../autograd/engine.ts';
import { ArgumentError, GradError, ShapeError } from '../base/errors.ts';
import { add } from '../ops/add.ts';
import { describe } from '../ops/define.ts';
import { mul } from '../ops/mul.ts';
import { reshape } from '../ops/reshape.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { enableGrad, frames, releaseNode, uncountNode, withFrame, type TransformFrame } from '../graph/tape.ts';
import { Tensor } from '../graph/tensor.ts';
import { tensor, zeros } from '../graph/creation.ts';

/**
 * An argument of a transformed function: a tensor, or a plain number (passed to `f` as a 0-d float64
 * tensor; results that belong to it come back as numbers).
 * @category Autograd
 */
export type Primal = Tensor | number;

/** A function the transforms accept: tensors in, a tensor (or a constant number) out. @category Autograd */
export type TensorFunction = (...args: Tensor[]) => Tensor | number;

/** Which arguments to differentiate: one index, or a list of indices (then results come as a list). @category Autograd */
export type ArgNums = number | readonly number[];

/** What {@link grad} returns for one argument index: gradients in, gradients out, numbers for numbers. @category Autograd */
export interface GradFunction {
  (...args: number[]): number;
  (...args: Tensor[]): Tensor;
  (...args: Primal[]): Primal;
}

/** What {@link grad} returns for a list of argument indices: one gradient per index. @category Autograd */
export type MultiGradFunction = (...args: Primal[]) => Primal[];

/** What {@link valueAndGrad} returns for one argument index. @category Autograd */
export interface ValueAndGradFunction {
  (...args: number[]): [number, number];
  (...args: Tensor[]): [Tensor, Tensor];
  (...args: Primal[]): [Primal, Primal];
}

/** What {@link jacobian} and {@link hessian} return for one argument index: tensors for tensors. @category Autograd */
export interface JacobianFunction {
  (...args: Tensor[]): Tensor;
  (...args: Primal[]): Primal;
}

/** The pullback of {@link vjp}: maps a cotangent `u` of the output to `Jᵀ·u`, one entry per primal. @category Autograd */
export type Pullback = (u: Primal) => Primal[];

// Each transform call is a frame on the one stack of transform frames (graph/tape.ts): the nodes it
// records (ids ≥ entryId) are released when it returns, and its results are detached copies — unless an
// enclosing transform is tracing through it, in which case the results stay on the tape and the
// enclosing transform releases everything when it returns. So a top-level call leaves the tape as it
// found it.

function scoped<R>(body: (frame: TransformFrame) => R): R {
  return withFrame(true, (frame) => {
    try {
      return enableGrad(() => body(frame));
    } finally {
      if (!frame.isTracing) releaseNodesFrom(frame.entryId);
    }
  });
}

/** Position of the first listed node with id ≥ `id` (the frames' node list is sorted by id). */
function lowerBound(id: number): number {
  const nodes = frames.nodes;
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Releases every node recorded since `entryId` (inside this transform) and forgets it. @internal */
export function releaseNodesFrom(entryId: number): void {
  const from = lowerBound(entryId);
  for (let i = from; i < frames.nodes.length; i++) releaseNode(frames.nodes[i]!);
  frames.nodes.length = from;
}

/** Takes the nodes recorded since `entryId` out of the frames' list without releasing them (a private graph). */
function takeNodesFrom(entryId: number): void {
  for (const node of frames.nodes.splice(lowerBound(entryId))) uncountNode(node);
}

/** A result leaving a transform frame: itself when traced, else a detached copy (results may alias each other or inputs). */
function exportTensor(s: TransformFrame, t: Tensor): Tensor {
  return s.isTracing ? t : Tensor.fromData(t.data.slice(), t.shape, t.dtype);
}

/** A result as the caller gets it: a number when it belongs to a number argument and has one element. */
function exportPrimal(s: TransformFrame, t: Tensor, asNumber: boolean): Primal {
  return asNumber && t.size === 1 ? t.data[0]! : exportTensor(s, t);
}

/**
 * The tensor `f` sees for a differentiated argument: a fresh leaf sharing the caller's data, or, when
 * an enclosing transform traces a tensor that requires grad, a recorded copy linked to it.
 */
function lift(op: string, s: TransformFrame, x: unknown, k: number): Tensor {
  if (typeof x === 'number') return tensor(x, { requiresGrad: true });
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: argument ${k} must be a Tensor or a number, got ${describe(x)}`);
  if (s.isTracing && x.requiresGrad) return x.clone();
  const leaf = new Tensor(x.data, x.shape, x.dtype, true);
  // The leaf shares the caller's storage, so it shares its version too: an in-place change of the
  // argument is then seen by the version checks of every node that saved the leaf.
  leaf.versionCell = x.versionCell ??= { value: 0 };
  return leaf;
}

/** The tensor `f` sees for an argument that is not differentiated. */
function constant(op: string, x: unknown, k: number): Tensor {
  if (typeof x === 'number') return tensor(x);
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: argument ${k} must be a Tensor or a number, got ${describe(x)}`);
  return x;
}

function checkFunction(op: string, f: unknown): void {
  if (typeof f !== 'function') throw new ArgumentError(`${op}: f must be a function, got ${describe(f)}`);
}

function normalizeArgnums(op: string, argnums: ArgNums, count: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  if (list.length === 0) throw new ArgumentError(`${op}: argnums must name at least one argument, got []`);
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= count) {
      throw new ArgumentError(`${op}: argnums must be indices of f's arguments (0 … ${count - 1}), got ${a} for ${count} argument${count === 1 ? '' : 's'}`);
    }
  }
  return list;
}

/** Calls `f` and checks it returned a tensor (a number is a constant output, as a 0-d tensor). */
function callF(op: string, f: TensorFunction, args: Tensor[]): Tensor {
  const y = f(...args);
  if (typeof y === 'number') return tensor(y);
  if (typeof y === 'object' && y !== null && typeof (y as { then?: unknown }).then === 'function') {
    (y as unknown as PromiseLike<unknown>).then(undefined, () => undefined);
    throw new ArgumentError(`${op}: f must be synchronous, got a function that returned a Promise (the transform would end at its first await)`);
  }
  if (!(y instanceof Tensor)) throw new ArgumentError(`${op}: f must return a Tensor or a number, got ${describe(y)}`);
  return y;
}

function checkScalarOutput(op: string, y: Tensor): void {
  if (y.size !== 1) {
    throw new ShapeError(`${op}: f must return a scalar (a tensor with one element), got shape ${fmt(y.shape)}; use vjp or jacobian for other outputs`);
  }
}

/** Gradients of `roots` (contracted with `seeds`) with respect to `inputs`; zeros where unused. */
function gradsOf(roots: readonly Tensor[], seeds: readonly Tensor[] | undefined, inputs: readonly Tensor[], createGraph: boolean): Tensor[] {
  const live: number[] = [];
  roots.forEach((r, k) => {
    if (r.requiresGrad) live.push(k);
  });
  const gs =
    live.length === 0
      ? inputs.map(() => null)
      : computeGrads(
          live.map((k) => roots[k]!),
          seeds === undefined ? undefined : live.map((k) => seeds[k]!),
          { inputs, createGraph, retainGraph: true },
        );
  return inputs.map((x, k) => gs[k] ?? zeros(x.shape, { dtype: x.dtype }));
}

/** A tangent or cotangent as a tensor of the given shape and dtype. */
function asDirection(op: string, what: string, v: unknown, shape: Shape, like: Tensor): Tensor {
  let t: Tensor;
  if (typeof v === 'number') t = tensor(v, { dtype: like.dtype });
  else if (v instanceof Tensor) t = v.dtype === like.dtype ? v : v.astype(like.dtype);
  else throw new ArgumentError(`${op}: ${what} must be a Tensor or a number, got ${describe(v)}`);
  if (!sameShape(t.shape, shape)) throw new ShapeError(`${op}: ${what} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
  return t;
}

function gradImpl(op: string, f: TensorFunction, argnums: ArgNums, args: readonly Primal[]): [Primal, Primal[]] {
  const idx = normalizeArgnums(op, argnums, args.length);
  return scoped((s) => {
    const xs = args.map((x, k) => (idx.includes(k) ? lift(op, s, x, k) : constant(op, x, k)));
    const y = callF(op, f, xs);
    checkScalarOutput(op, y);
    const gs = gradsOf([y], undefined, idx.map((k) => xs[k]!), s.isTracing);
    const allNumbers = args.every((x) => typeof x === 'number');
    return [exportPrimal(s, y, allNumbers), gs.map((g, i) => exportPrimal(s, g, typeof args[idx[i]!] === 'number'))];
  });
}

/**
 * The gradient transform (JAX's `grad`): `grad(f)(x) = ∇f(x)` for an `f` that returns a scalar.
 *
 * `f` gets tensors; plain-number arguments are passed as 0-d float64 tensors and their gradients come
 * back as numbers. With a list of `argnums` the result is the list `[∂f/∂x_i for i in argnums]`.
 * Transforms compose: `grad(grad(f))` is the second derivative, `jacobian(grad(f))` the Hessian. A
 * top-level call leaves the tape as it found it and returns detached tensors; works inside `noGrad`.
 * @param f A function of tensors returning a one-element tensor.
 * @param argnums The argument to differentiate (default 0), or a list of them.
 * @returns A function with `f`'s arguments returning the gradient(s), each in its argument's shape.
 * @throws {@link ShapeError} (when called) if `f` returns more than one element.
 * @throws {@link ArgumentError} for an `argnums` that is not an argument index, or arguments that are not tensors or numbers.
 * @example
 * ```ts
 * import { grad } from '@tapegrad/core';
 * const d2 = grad(grad((x) => x.sin()));
 * console.log(d2(0.5)); // -0.479425538604203
 * ```
 * @category Autograd
 */
export function grad(f: TensorFunction, argnums?: number): GradFunction;
export function grad(f: TensorFunction, argnums: readonly number[]): MultiGradFunction;
export function grad(f: TensorFunction, argnums: ArgNums = 0): GradFunction | MultiGradFunction {
  checkFunction('grad', f);
  const isSingle = typeof argnums === 'number';
  return ((...args: Primal[]) => {
    const gs = gradImpl('grad', f, argnums, args)[1];
    return isSingle ? gs[0]! : gs;
  }) as GradFunction | MultiGradFunction;
}

/**
 * Value and gradient in one pass (JAX's `value_and_grad`): `x ↦ [f(x), ∇f(x)]`.
 *
 * The value is a number when every argument is a number. Same conventions as {@link grad}.
 * @param f A function of tensors returning a one-element tensor.
 * @param argnums The argument to differentiate (default 0), or a list of them (then the gradient is a list).
 * @returns A function with `f`'s arguments returning `[value, gradient]`.
 * @throws {@link ShapeError} (when called) if `f` returns more than one element.
 * @throws {@link ArgumentError} for a bad `argnums` or arguments that are not tensors or numbers.
 * @example
 * ```ts
 * import { tensor, valueAndGrad } from '@tapegrad/core';
 * const [loss, g] = valueAndGrad((w) => w.square().sum())(tensor([1, 2]));
 * console.log(loss.item(), g.toArray()); // 5 [2, 4]
 * ```
 * @category Autograd
 */
export function valueAndGrad(f: TensorFunction, argnums?: number): ValueAndGradFunction;
export function valueAndGrad(f: TensorFunction, argnums: readonly number[]): (...args: Primal[]) => [Primal, Primal[]];
export function valueAndGrad(f: TensorFunction, argnums: ArgNums = 0): ValueAndGradFunction | ((...args: Primal[]) => [Primal, Primal[]]) {
  checkFunction('valueAndGrad', f);
  return ((...args: Primal[]) => {
    const [value, gs] = gradImpl('valueAndGrad', f, argnums, args);
    return [value, typeof argnums === 'number' ? gs[0]! : gs];
  }) as ValueAndGradFunction;
}

/**
 * Reverse mode (JAX's `vjp`): evaluates `y = f(x₁, …, xₙ)` and returns it with its pullback
 * `u ↦ [J₁ᵀ·u, …, Jₙᵀ·u]`, where `Jᵢ = ∂y/∂xᵢ`.
 *
 * The pullback may be called any number of times. At top level the forward graph is kept privately
 * in the pullback (off the global tape) and is freed with it.
 * @param f A function of tensors.
 * @param primals The point `x₁, …, xₙ` (tensors or numbers).
 * @returns `[y, pullback]`; `y` is a number when every primal is a number and `y` has one element.
 * @throws {@link ArgumentError} for primals that are not tensors or numbers; the pullback throws
 *   {@link ShapeError} for a cotangent not of `y`'s shape.
 * @example
 * ```ts
 * import { tensor, vjp } from '@tapegrad/core';
 * const [y, pullback] = vjp((x) => x.square(), tensor([1, 2]));
 * console.log(y.toArray(), pullback(tensor([1, 1]))[0]!.toArray()); // [1, 4] [2, 4]
 * ```
 * @category Autograd
 */
export function vjp(f: TensorFunction, ...primals: Tensor[]): [Tensor, (u: Tensor) => Tensor[]];
export function vjp(f: TensorFunction, ...primals: Primal[]): [Primal, Pullback];
export function vjp(f: TensorFunction, ...primals: Primal[]): [Primal, Pullback] | [Tensor, (u: Tensor) => Tensor[]] {
  checkFunction('vjp', f);
  const allNumbers = primals.every((x) => typeof x === 'number');
  return scoped((s) => {
    const xs = primals.map((x, k) => lift('vjp', s, x, k));
    const y = callF('vjp', f, xs);
    // The pullback runs backward through what f recorded: out of the frame's list, so the frame keeps it.
    if (!s.isTracing) takeNodesFrom(s.entryId);
    const versions = primals.map((x) => (x instanceof Tensor ? x.version : 0));
    const pullback: Pullback = (u) =>
      scoped((ps) => {
        primals.forEach((x, k) => {
          if (x instanceof Tensor && x.version !== versions[k]) {
            throw new GradError(
              `vjp: primal ${k} of shape ${fmt(x.shape)} was modified in place after vjp() was called (version ${versions[k]} → ${x.version}); ` +
                'the pullback would use the new values: call vjp again after changing it',
            );
          }
        });
        const ut = asDirection('vjp', 'the cotangent u', u, y.shape, y);
        const gs = gradsOf([y], [ut], xs, ps.isTracing || s.isTracing);
        return gs.map((g, k) => exportPrimal(ps, g, typeof primals[k] === 'number'));
      });
    return [exportPrimal(s, y, allNumbers), pullback] as [Primal, Pullback];
  });
}

/**
 * Forward mode (JAX's `jvp`): `(x, v) ↦ [f(x), J·v]`, the directional derivative of `f` at `x` along
 * the tangents `v`.
 *
 * Computed by the double-vjp construction rather than dual numbers, so every op with a differentiable
 * backward rule supports it with no extra code: `g(u) = Jᵀ·u` is recorded with `createGraph` for a
 * dummy cotangent `u`, and since `g` is linear in `u`, `J·v = ∂⟨g(u), v⟩/∂u`. It costs about three
 * forward passes instead of one.
 * @param f A function of tensors.
 * @param primals The point `x₁, …, xₙ` (tensors or numbers).
 * @param tangents One tangent per primal, each of its primal's shape.
 * @returns `[f(x), J·v]`; numbers when every primal is a number and the output has one element.
 * @throws {@link ArgumentError} when the numbers of primals and tangents differ.
 * @throws {@link ShapeError} for a tangent not of its primal's shape.
 * @example
 * ```ts
 * import { jvp, tensor } from '@tapegrad/core';
 * const [y, dy] = jvp((x) => x.square(), [tensor([1, 2])], [tensor([1, 0])]);
 * console.log(y.toArray(), dy.toArray()); // [1, 4] [2, 0]
 * ```
 * @category Autograd
 */
export function jvp(f: TensorFunction, primals: readonly Tensor[], tangents: readonly Primal[]): [Tensor, Tensor];
export function jvp(f: TensorFunction, primals: readonly Primal[], tangents: readonly Primal[]): [Primal, Primal];
export function jvp(f: TensorFunction, primals: readonly Primal[], tangents: readonly Primal[]): [Primal, Primal] {
  checkFunction('jvp', f);
  if (!Array.isArray(primals) || !Array.isArray(tangents) || primals.length !== tangents.length) {
    throw new ArgumentError(
      `jvp: primals and tangents must be arrays of the same length, got ${Array.isArray(primals) ? primals.length : describe(primals)} primals and ${Array.isArray(tangents) ? tangents.length : describe(tangents)} tangents`,
    );
  }
  const allNumbers = primals.every((x) => typeof x === 'number');
  return scoped((s) => {
    const xs = primals.map((x, k) => lift('jvp', s, x, k));
    const vs = tangents.map((v, k) => asDirection('jvp', `tangent ${k}`, v, xs[k]!.shape, xs[k]!));
    const y = callF('jvp', f, xs);
    const [dy] = forwardColumns(s, y, xs, [vs]);
    return [exportPrimal(s, y, allNumbers), exportPrimal(s, dy!, allNumbers)];
  });
}

/** J·v for each tangent set in `columns`, by differentiating the recorded g(u) = Jᵀ·u with respect to u. */
function forwardColumns(s: TransformFrame, y: Tensor, xs: readonly Tensor[], columns: readonly (readonly Tensor[])[]): Tensor[] {
  if (!y.requiresGrad) return columns.map(() => zeros(y.shape, { dtype: y.dtype }));
  const u = zeros(y.shape, { dtype: y.dtype, requiresGrad: true });
  const gs = computeGrads([y], [u], { inputs: xs, createGraph: true, retainGraph: true });
  return columns.map((vs) => {
    const roots: Tensor[] = [];
    const seeds: Tensor[] = [];
    gs.forEach((g, k) => {
      if (g !== null && g.requiresGrad) {
        roots.push(g);
        seeds.push(vs[k]!);
      }
    });
    return gradsOf(roots, seeds, [u], s.isTracing)[0]!;
  });
}

/** A one-hot tensor: 1 at flat index `i`. */
function oneHot(shape: Shape, i: number, like: Tensor): Tensor {
  const t = zeros(shape, { dtype: like.dtype });
  t.data[i] = 1;
  return t;
}

/**
 * Assembles `J` of shape `[m, n]` from `pieces` (rows of n elements, or columns of m): raw copies for
 * constants, or a differentiable sum of one-hot outer products when a piece is traced.
 */
function assemble(pieces: readonly Tensor[], isRows: boolean, m: number, n: number, like: Tensor): Tensor {
  if (pieces.some((p) => p.requiresGrad)) {
    let acc: Tensor | null = null;
    pieces.forEach((p, i) => {
      const term = isRows
        ? mul(oneHot([m, 1], i, like), reshape(p, [1, n]))
        : mul(reshape(p, [m, 1]), oneHot([1, n], i, like));
      acc = acc === null ? term : add(acc, term);
    });
    return acc ?? zeros([m, n], { dtype: like.dtype });
  }
  const out = zeros([m, n], { dtype: like.dtype });
  pieces.forEach((p, i) => {
    for (let j = 0; j < p.size; j++) out.data[isRows ? i * n + j : j * n + i] = p.data[j]!;
  });
  return out;
}

/**
 * The Jacobian transform (JAX's `jacobian`): `J[i…, j…] = ∂f(x)[i…]/∂x[j…]`, of shape
 * `[...f(x).shape, ...x.shape]`.
 *
 * The mode is chosen by shape: with m output and n input elements, reverse mode (m pullbacks of one-hot
 * cotangents, one row each) when m ≤ n, else forward mode (n {@link jvp} columns of one-hot tangents).
 * @param f A function of tensors.
 * @param argnums The argument to differentiate (default 0), or a list of them (then one Jacobian each).
 * @returns A function with `f`'s arguments returning the Jacobian(s); a number when every argument is a
 *   number and `f` returns one element.
 * @throws {@link ArgumentError} for a bad `argnums` or arguments that are not tensors or numbers.
 * @example
 * ```ts
 * import { jacobian, tensor } from '@tapegrad/core';
 * console.log(jacobian((x) => x.square())(tensor([1, 2])).toArray()); // [[2, 0], [0, 4]]
 * ```
 * @category Autograd
 */
export function jacobian(f: TensorFunction, argnums?: number): JacobianFunction;
export function jacobian(f: TensorFunction, argnums: readonly number[]): (...args: Primal[]) => Primal[];
export function jacobian(f: TensorFunction, argnums: ArgNums = 0): JacobianFunction | ((...args: Primal[]) => Primal[]) {
  checkFunction('jacobian', f);
  return ((...args: Primal[]) => {
    const idx = normalizeArgnums('jacobian', argnums, args.length);
    const allNumbers = args.every((x) => typeof x === 'number');
    const js = scoped((s) => {
      const xs = args.map((x, k) => (idx.includes(k) ? lift('jacobian', s, x, k) : constant('jacobian', x, k)));
      const wrt = idx.map((k) => xs[k]!);
      const y = callF('jacobian', f, xs);
      const m = y.size;
      const n = wrt.reduce((acc, x) => acc + x.size, 0);
      const pieces: Tensor[][] = wrt.map(() => []);
      if (m <= n) {
        for (let i = 0; i < m; i++) {
          gradsOf([y], [oneHot(y.shape, i, y)], wrt, s.isTracing).forEach((g, k) => pieces[k]!.push(g));
        }
      } else {
        const columns: Tensor[][] = [];
        wrt.forEach((x, k) => {
          for (let j = 0; j < x.size; j++) columns.push(wrt.map((z, kk) => (kk === k ? oneHot(x.shape, j, x) : zeros(z.shape, { dtype: z.dtype }))));
        });
        let c = 0;
        const cols = forwardColumns(s, y, wrt, columns);
        wrt.forEach((x, k) => {
          for (let j = 0; j < x.size; j++) pieces[k]!.push(cols[c++]!);
        });
      }
      return wrt.map((x, k) => {
        const j = reshape(assemble(pieces[k]!, m <= n, m, x.size, y), [...y.shape, ...x.shape]);
        return exportPrimal(s, j, allNumbers);
      });
    });
    return typeof argnums === 'number' ? js[0]! : js;
  }) as JacobianFunction;
}

/**
 * The Hessian transform: `H[i…, j…] = ∂²f/∂x[i…]∂x[j…]`, of shape `[...x.shape, ...x.shape]`, computed as
 * `jacobian(grad(f))` (reverse over reverse).
 * @param f A function of tensors returning a one-element tensor.
 * @param argnums The argument to differentiate twice (default 0).
 * @returns A function with `f`'s arguments returning the Hessian (a number for a number argument).
 * @throws {@link ShapeError} (when called) if `f` returns more than one element.
 * @throws {@link ArgumentError} for a bad `argnums`.
 * @example
 * ```ts
 * import { hessian, tensor } from '@tapegrad/core';
 * console.log(hessian((x) => x.pow(3).sum())(tensor([1, 2])).toArray()); // [[6, 0], [0, 12]]
 * ```
 * @category Autograd
 */
export function hessian(f: TensorFunction, argnums = 0): JacobianFunction {
  checkFunction('hessian', f);
  if (typeof argnums !== 'number') throw new ArgumentError(`hessian: argnums must be one argument index, got ${describe(argnums)}`);
  return jacobian(grad(f, argnums), argnums);
}

/**
 * Hessian-vector product without forming the Hessian: `H·v = ∇ₓ⟨∇f(x), v⟩` (reverse over reverse; two
 * backward passes whatever the size of x).
 * @param f A function of tensors returning a one-element tensor.
 * @param primals The point x: a tensor or number, or an array of them for a function of several arguments.
 * @param tangents The vector v, with the same structure and shapes as `primals`.
 * @returns `H·v` with the structure of `primals` (numbers for numbers).
 * @throws {@link ShapeError} if `f` returns more than one element or a tangent's shape differs from its primal's.
 * @throws {@link ArgumentError} when `primals` and `tangents` differ in length.
 * @example
 * ```ts
 * import { hvp, tensor } from '@tapegrad/core';
 * const hv = hvp((x) => x.pow(3).sum(), tensor([1, 2]), tensor([1, 1]));
 * console.log(hv.toArray()); // [6, 12]
 * ```
 * @category Autograd
 */
export function hvp(f: TensorFunction, primals: Tensor, tangents: Primal): Tensor;
export function hvp(f: TensorFunction, primals: number, tangents: number): number;
export function hvp(f: TensorFunction, primals: Primal, tangents: Primal): Primal;
export function hvp(f: TensorFunction, primals: readonly Primal[], tangents: readonly Primal[]): Primal[];
export function hvp(f: TensorFunction, primals: Primal | readonly Primal[], tangents: Primal | readonly Primal[]): Primal | Primal[] {
  checkFunction('hvp', f);
  const isList = Array.isArray(primals);
  const ps = (isList ? primals : [primals]) as readonly Primal[];
  const ts = (Array.isArray(tangents) ? tangents : [tangents]) as readonly Primal[];
  if (Array.isArray(tangents) !== isList || ps.length !== ts.length) {
    throw new ArgumentError(`hvp: primals and tangents must have the same structure, got ${ps.length} primals and ${ts.length} tangents`);
  }
  const out = scoped((s) => {
    const xs = ps.map((x, k) => lift('hvp', s, x, k));
    const vs = ts.map((v, k) => asDirection('hvp', `tangent ${k}`, v, xs[k]!.shape, xs[k]!));
    const y = callF('hvp', f, xs);
    checkScalarOutput('hvp', y);
    const gs = gradsOf([y], undefined, xs, true);
    const hv = gradsOf(gs, vs, xs, s.isTracing);
    return hv.map((h, k) => exportPrimal(s, h, typeof ps[k] === 'number'));
  });
  return isList ? out : out[0]!;
}
