// expr: Sym, the symbolic expression the public ops build nodes of.
import { ShapeError } from '../base/errors.ts';
import type { OpDef } from '../ops/define.ts';
import { mul } from '../ops/mul.ts';

/** A dimension of a symbolic shape: a number, or a name such as `m` for a size left open. @category Symbolic */
export type Dim = number | string;

/** The shape of a symbolic expression: `[]` for a scalar, `['n']` for a vector, `['n', 'm']` for a matrix. @category Symbolic */
export type SymShape = readonly Dim[];

let nextId = 0;

/**
 * A symbolic expression: a named symbol, a constant, or an op applied to expressions. The public ops
 * accept it where they accept tensors and build a node (recording the op's own definition) instead of
 * computing, so the engine's backward rules, run on such nodes, build derivatives as expressions.
 * Create symbols with {@link symbol}.
 * @category Symbolic
 */
export class Sym {
  /** Marks symbolic arguments for the ops. */
  readonly isSymbolic = true as const;
  /** Creation order, unique. */
  readonly id: number;
  /** `'symbol'`, `'const'` or `'op'`. */
  readonly kind: 'symbol' | 'const' | 'op';
  /** The symbol's name, or the op's name. */
  readonly name: string;
  /** The constant's value (0 otherwise). */
  readonly value: number;
  /** The op's definition (the one the engine runs), for op nodes. */
  readonly op: OpDef<never> | null;
  /** The public op function, to evaluate the node on tensors. */
  readonly fn: ((...xs: never[]) => unknown) | null;
  /** The op's expression arguments. */
  readonly args: readonly Sym[];
  /** The op's other arguments (axis, shape, options), as passed. */
  readonly rest: readonly unknown[];
  /** What the op's backward rule reads from `attrs` (axes, flags), computed from the symbolic shapes. */
  readonly attrs: unknown;
  /** The symbolic shape. */
  readonly shape: SymShape;
  /** Set by the symbolic backward walk: whether the differentiated variable reaches this node. */
  requiresGrad = false;

  /** @internal Use {@link symbol}, {@link constant} or the public ops. */
  constructor(kind: Sym['kind'], name: string, value: number, shape: SymShape, op: OpDef<never> | null = null, fn: Sym['fn'] = null, args: readonly Sym[] = [], rest: readonly unknown[] = [], attrs: unknown = undefined) {
    this.id = nextId++;
    this.kind = kind;
    this.name = name;
    this.value = value;
    this.shape = shape;
    this.op = op;
    this.fn = fn;
    this.args = args;
    this.rest = rest;
    this.attrs = attrs;
  }

  /** @internal The ops call this for a symbolic argument: builds `fn(...args, ...rest)` as a node. */
  apply(op: OpDef<never>, fn: (...xs: never[]) => unknown, args: readonly unknown[], rest: readonly unknown[] = []): Sym {
    const xs = args.map(toSym);
    // A sum over no axis (of a scalar) is the scalar itself, as a mean of one example is.
    if (op.name === 'sum' && xs[0]!.shape.length === 0) return xs[0]!;
    const [shape, attrs] = shapeOf(op.name, xs, rest, 'arity' in op);
    return new Sym('op', op.name, 0, shape, op, fn, xs, rest, attrs);
  }

  /** @internal The number of elements over the axes, as an expression (a product of the named dimensions). */
  count(axis?: number | readonly number[]): Sym | number {
    let n: Sym | number = 1;
    let names = '';
    for (const a of axesOf('mean', axis, this.shape)) {
      const d = this.shape[a]!;
      if (typeof d === 'number') n = typeof n === 'number' ? n * d : n;
      else names += names === '' ? d : `·${d}`;
    }
    if (names === '') return n;
    const dims = symbol(names);
    return n === 1 ? dims : (mul(n, dims as never) as unknown as Sym);
  }
}

/**
 * A named symbol: a scalar by default, or a vector or matrix with symbolic dimensions.
 * @param name The symbol's name, e.g. `z`, `t`, `W1`.
 * @param shape Its symbolic shape: `[]` (default), `['n']`, `['h', 'd']`.
 * @returns The symbol, usable with the public ops (`sigmoid(z)`, `matmul(W, X)`).
 * @example
 * ```ts
 * import { binaryCrossEntropy, sigmoid, symbol } from '@tapegrad/core';
 * const z = symbol('z');
 * const L = binaryCrossEntropy(sigmoid(z as never), symbol('t') as never);
 * console.log((L as unknown as { name: string }).name); // binaryCrossEntropy
 * ```
 * @category Symbolic
 */
export function symbol(name: string, shape: SymShape = []): Sym {
  return new Sym('symbol', name, 0, shape);
}

/**
 * A constant expression.
 * @param value The number.
 * @returns A scalar constant node.
 * @example
 * ```ts
 * import { constant } from '@tapegrad/core';
 * console.log(constant(2).value); // 2
 * ```
 * @category Symbolic
 */
export function constant(value: number): Sym {
  return new Sym('const', '', value, []);
}

/** A number or an expression as an expression. @internal */
export function toSym(x: unknown): Sym {
  if (x instanceof Sym) return x;
  if (typeof x === 'number') return constant(x);
  throw new ShapeError(`symbolic: cannot mix expressions with ${typeof x === 'object' ? 'tensors or values' : typeof x}`);
}

function axesOf(op: string, axis: unknown, shape: SymShape): number[] {
  const rank = shape.length;
  if (axis === undefined || axis === null) return shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : (axis as number[]);
  return list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1)) throw new ShapeError(`${op}: axis must be an integer in [${-rank}, ${rank - 1}], got axis ${a}`);
    return a < 0 ? a + rank : a;
  }).sort((p, q) => p - q);
}

/** Broadcasts two symbolic shapes (a dimension 1 stretches; equal names match). @internal */
export function broadcastSym(a: SymShape, b: SymShape, op: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(`${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

/** The output shape and the backward attributes of an op on symbolic inputs, as its tensor form computes them. */
function shapeOf(name: string, xs: readonly Sym[], rest: readonly unknown[], isElementwise: boolean): [SymShape, unknown] {
  const x = xs[0]!;
  if (isElementwise) return [xs.reduce<SymShape>((s, y) => broadcastSym(s, y.shape, name), []), undefined];
  switch (name) {
    case 'sum':
    case 'logsumexp': {
      const axes = axesOf(name, rest[0], x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const shape = rest[1] === true ? kept : x.shape.filter((_, i) => !axes.includes(i));
      return [shape, { kept }];
    }
    case 'softmax':
    case 'logSoftmax':
      return [x.shape, { axis: axesOf(name, rest[0] ?? -1, x.shape)[0] }];
    case 'reshape':
    case 'broadcastTo':
      return [rest[0] as SymShape, undefined];
    case 'transpose': {
      const rank = x.shape.length;
      const given = rest[0] as readonly number[] | undefined;
      const perm = given?.map((a) => (a < 0 ? a + rank : a)) ?? x.shape.map((_, i) => (i >= rank - 2 ? 2 * rank - 3 - i : i));
      return [perm.map((p) => x.shape[p]!), { perm }];
    }
    case 'matmul': {
      const opts = (rest[0] ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      const transA = opts.transposeA ?? false;
      const transB = opts.transposeB ?? false;
      const [a, b] = xs as [Sym, Sym];
      if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`matmul: symbolic operands must be matrices, got a [${a.shape.join(', ')}] and b [${b.shape.join(', ')}]`);
      const ka = a.shape[transA ? 0 : 1]!;
      const kb = b.shape[transB ? 1 : 0]!;
      if (ka !== kb) throw new ShapeError(`matmul: inner dimensions must match, got a [${a.shape.join(', ')}] and b [${b.shape.join(', ')}]`);
      return [[a.shape[transA ? 1 : 0]!, b.shape[transB ? 0 : 1]!], { transA, transB }];
    }
    default:
      throw new ShapeError(`symbolic: op '${name}' has no symbolic form`);
  }
}
