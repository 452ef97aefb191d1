// walk: backward over an expression graph with the ops' own rules.
import type { ElementwiseOp, OpDef } from '../ops/define.ts';
import { add, mul, neg } from '../ops/index.ts';
import { reshape } from '../ops/reshape.ts';
import { sum } from '../ops/sum.ts';
import { constant, symbol, Sym, type SymShape } from './expr.ts';

/** What one step sends to one input. @category Symbolic */
export interface SymSend {
  /** The input. */
  readonly input: Sym;
  /** ∂output/∂input for elementwise ops (null for the others). */
  readonly local: Sym | null;
  /** The gradient sent, summed back to the input's shape. */
  readonly grad: Sym;
}

/** A cut of {@link backwardSymbolic}: a node's complete gradient, then replaced by a symbol. @category Symbolic */
export interface SymCut {
  /** The name given to the node. */
  readonly name: string;
  /** The node. */
  readonly node: Sym;
  /** Its complete gradient, in terms of the later cuts' symbols. */
  readonly grad: Sym;
  /** The symbol `d<name>` that stands for it in the rest of the walk. */
  readonly symbol: Sym;
}

/** One step of a symbolic backward walk. @category Symbolic */
export interface SymStep {
  /** The op's name. */
  readonly op: string;
  /** The op's definition, whose rule built the step. */
  readonly def: OpDef<never>;
  /** The node the step differentiates. */
  readonly output: Sym;
  /** ∂L/∂output, complete when the step runs. */
  readonly dy: Sym;
  /** What goes to each input on the path to the variables: the local derivative (elementwise ops) and the gradient sent. */
  readonly sends: readonly SymSend[];
}

/** The result of {@link backwardSymbolic}. @category Symbolic */
export interface SymBackward {
  /** ∂root/∂x for each variable, by node id (a constant 0 when root does not depend on it). */
  readonly grads: ReadonlyMap<number, Sym>;
  /** The steps in the order backward runs them. */
  readonly steps: readonly SymStep[];
  /** For each cut node: its complete gradient, before the walk went on with the symbol `d<name>` in its place. */
  readonly cuts: readonly SymCut[];
}

/**
 * Runs backward over an expression graph with the engine's own rules: an elementwise op's gradient is
 * `dy · ∂y/∂input` with the partials its file defines (`da`, `db`, written with the public ops, which
 * build expressions here), any other op runs its `backward`, and broadcasting is undone by summing over
 * the broadcast axes, as the engine's `sumToShape` does. The walk is a loop in reverse creation order.
 * @param root The expression to differentiate.
 * @param wrt The variables (symbols or intermediate nodes).
 * @param opts `seed` (∂L/∂root, default 1) and `cuts`: nodes whose gradient is reported under a name and
 *   then replaced by a symbol `d<name>` (so the matrix chain reads `dA = Wᵀ·dZ`).
 * @returns The gradients, the steps and the cut gradients.
 * @example
 * ```ts
 * import { backwardSymbolic, sigmoid, symbol, type Sym } from '@tapegrad/core';
 * const z = symbol('z');
 * const y = sigmoid(z as never) as unknown as Sym;
 * console.log(backwardSymbolic(y, [z]).steps[0]!.op); // sigmoid
 * ```
 * @category Symbolic
 */
export function backwardSymbolic(root: Sym, wrt: readonly Sym[], opts: { seed?: Sym; cuts?: ReadonlyMap<Sym, string> } = {}): SymBackward {
  const nodes = collect(root);
  const targets = new Set(wrt.map((w) => w.id));
  for (const n of nodes) n.requiresGrad = targets.has(n.id) || n.args.some((a) => a.requiresGrad);
  const grads = new Map<number, Sym>([[root.id, opts.seed ?? constant(1)]]);
  const steps: SymStep[] = [];
  const cuts: { name: string; node: Sym; grad: Sym; symbol: Sym }[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    let dy = grads.get(node.id);
    if (dy === undefined || !node.requiresGrad) continue;
    const cutName = opts.cuts?.get(node);
    if (cutName !== undefined) {
      const s = symbol(`d${cutName}`, node.shape);
      cuts.push({ name: cutName, node, grad: dy, symbol: s });
      dy = s;
      grads.set(node.id, s);
    }
    if (node.kind !== 'op' || node.op === null) continue;
    const def = node.op;
    const partials = localPartials(def, node);
    const gs: readonly unknown[] = partials !== null ? partials.map((p) => (p === null ? null : scale(dy!, p))) : (def.backward as unknown as (c: object) => readonly unknown[])({ inputs: node.args, output: node, dy, attrs: node.attrs });
    const sends: { input: Sym; local: Sym | null; grad: Sym }[] = [];
    node.args.forEach((x, k) => {
      const g = gs[k];
      if (!x.requiresGrad || g === null || g === undefined) return;
      const gx = sumToShapeSym(g instanceof Sym ? g : constant(g as number), x.shape);
      const prev = grads.get(x.id);
      grads.set(x.id, prev === undefined ? gx : (add(prev as never, gx as never) as unknown as Sym));
      const local = partials?.[k];
      sends.push({ input: x, local: local === null || local === undefined ? null : local, grad: gx });
    });
    steps.push({ op: node.name, def, output: node, dy, sends });
  }
  const out = new Map<number, Sym>();
  for (const w of wrt) out.set(w.id, grads.get(w.id) ?? constant(0));
  return { grads: out, steps, cuts };
}

/** ∂y/∂input of an elementwise op at the node, from the partials its file defines; null for other ops. */
function localPartials(def: OpDef<never>, node: Sym): (Sym | null)[] | null {
  if (!('arity' in def)) return null;
  const op = def as unknown as ElementwiseOp;
  const [a, b] = node.args as [Sym, Sym | undefined];
  const asSym = (v: unknown): Sym => (v instanceof Sym ? v : constant(v as number));
  const da = node.args[0]!.requiresGrad ? asSym(op.da(a as never, (b ?? 0) as never, node as never)) : null;
  const db = b !== undefined && b.requiresGrad && op.db !== undefined ? asSym(op.db(a as never, b as never, node as never)) : null;
  return op.arity === 1 ? [da] : [da, db];
}

/** dy · partial, as the engine's scaleBy: the constant partials 1 and −1 pass dy on (negated). */
function scale(dy: Sym, partial: Sym): Sym {
  if (partial.kind === 'const' && partial.value === 1) return dy;
  if (partial.kind === 'const' && partial.value === -1) return neg(dy as never) as unknown as Sym;
  return mul(dy as never, partial as never) as unknown as Sym;
}

/** The engine's sumToShape on symbolic shapes: sums a gradient over the axes its input was broadcast along. */
function sumToShapeSym(g: Sym, shape: SymShape): Sym {
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    const target = i < lead ? undefined : shape[i - lead];
    if ((target === undefined || target === 1) && d !== 1) axes.push(i);
  });
  if (axes.length === 0) return g;
  const s = sum(g as never, axes, true) as unknown as Sym;
  return lead > 0 ? (reshape(s as never, shape as never) as unknown as Sym) : s;
}

/** The nodes that lead to root, in creation order (a topological order). */
function collect(root: Sym): Sym[] {
  const seen = new Map<number, Sym>();
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n.id)) continue;
    seen.set(n.id, n);
    for (const a of n.args) stack.push(a);
  }
  return [...seen.values()].sort((p, q) => p.id - q.id);
}
