// explain(): formats what the engine's one backward walk observed, step by step, with each op's rule and the gradients it sent.
import { ruleOf } from '../symbolic/derive.ts';
import { ArgumentError, GradError, ShapeError } from '../base/errors.ts';
import type { ElementwiseOp } from '../ops/define.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { computeGrads, type WalkStep } from './engine.ts';
import { Trace, type TraceStep } from './trace.ts';
import { tapeOf, withRecording } from '../graph/tape.ts';
import { ones, tensor } from '../graph/creation.ts';
import { Tensor } from '../graph/tensor.ts';
import { Value } from '../graph/value.ts';
import { valueGraph, type ValueNode } from './value-graph.ts';

export { Trace, type TraceSend, type TraceStep } from './trace.ts';

/** Options of {@link explain}. @category Autograd */
export interface ExplainOptions {
  /** Names to print for tensors (or values), e.g. `{ z, 'ŷ': yhat, t }`; others are named after their op (`mul1`, `leaf2`). */
  readonly names?: Readonly<Record<string, Tensor | Value>>;
  /** ∂L/∂root; needed when a tensor root has more than one element (ignored for a `Value` root). */
  readonly seed?: Tensor;
  /** How many elements of each tensor the printed forms show (default 6). */
  readonly maxElements?: number;
}

/**
 * Explains a backward pass step by step: runs the engine's own backward walk from `root` (with its
 * version checks, hooks and anomaly mode) and reports, as the walk observes them, each op, its derivation (the op's
 * `rule`), the complete gradient that reached its output, the local derivative of elementwise ops, and
 * what it sends to each input. Nothing is written to `.grad` and the graph is not released, so you can
 * call it before `backward()`. Works the same on a micrograd-style `Value` graph (numbers are shown as
 * 0-d tensors in the steps; `gradOf(value)` gives a number).
 * @param root The tensor (a scalar loss, or pass `seed`) or `Value` to differentiate.
 * @param opts `names` for the tensors to print, `seed`, `maxElements`.
 * @returns The {@link Trace}; `toText()` and `toMarkdown()` print it.
 * @throws {@link GradError} when root does not require grad or its graph was already released by a backward pass.
 * @example
 * ```ts
 * import { explain, tensor } from '@tapegrad/core';
 * const z = tensor([0.5, -1], { requiresGrad: true });
 * const y = z.sigmoid();
 * const loss = y.sum();
 * const trace = explain(loss, { names: { z, 'ŷ': y, L: loss } });
 * console.log(trace.steps.map((s) => s.op).join(' ← ')); // sum ← sigmoid
 * ```
 * @category Autograd
 */
export function explain(root: Tensor | Value, opts: ExplainOptions = {}): Trace {
  if (root instanceof Value) return explainValue(root, opts);
  if (!(root instanceof Tensor)) throw new ArgumentError(`explain: root must be a Tensor or a Value, got ${typeof root}`);
  if (!root.requiresGrad) throw new GradError(`explain: the tensor of shape ${fmt(root.shape)} does not require grad`);
  const seed = opts.seed ?? (root.size === 1 ? ones(root.shape, { dtype: root.dtype }) : undefined);
  if (seed === undefined) throw new GradError(`explain: a seed is needed for a non-scalar root, got shape ${fmt(root.shape)}`);
  if (!sameShape(seed.shape, root.shape)) throw new ShapeError(`explain: seed must have the root's shape ${fmt(root.shape)}, got ${fmt(seed.shape)}`);
  if (root.node !== null && root.node.isReleased) throw released(root.node.op.name);
  // The one backward walk, asked for the leaves' gradients (so no .grad is written) and for a report of every step.
  const leaves = leavesOf(root);
  const walked: WalkStep[] = [];
  const leafGrads = computeGrads([root], [seed], { inputs: leaves, retainGraph: true, observe: (step) => walked.push(step) });
  const grads = new Map<number, Tensor>();
  leaves.forEach((x, k) => leafGrads[k] !== null && grads.set(x.id, leafGrads[k]!));
  for (const { node, dy } of walked) grads.set(node.output.id, dy);
  const given = new Map<number, string>();
  for (const [name, t] of Object.entries(opts.names ?? {})) if (t instanceof Tensor) given.set(t.id, name);
  const nameOf = namer(given, walked.map((w) => w.node.output), root);
  const steps = withRecording(false, () =>
    walked.map(({ node, dy, sent }, i): TraceStep => {
      const op = 'arity' in node.op ? (node.op as ElementwiseOp) : null;
      return {
        index: i + 1,
        op: node.op.name,
        // Printed from the op's definition run on symbols, so the text cannot drift from the code (elementwise ops).
        rule: ruleOf(node.op),
        output: nameOf(node.output),
        shape: node.output.shape,
        dy,
        sends: node.inputs.map((x, k) => ({
          input: nameOf(x),
          shape: x.shape,
          local: op === null ? null : localPartial(op, k, node.inputs, node.output),
          grad: sent[k] ?? null,
        })),
      };
    }),
  );
  const lookup = (x: Tensor | Value): Tensor | null => (x instanceof Tensor ? grads.get(x.id) ?? null : null);
  return new Trace(nameOf(root), steps, lookup, opts.maxElements ?? 6);
}

/** The leaves that require grad on the way to `root` (root itself when it is one). */
function leavesOf(root: Tensor): Tensor[] {
  const seen = new Map<number, Tensor>();
  if (root.node === null) seen.set(root.id, root);
  for (const node of tapeOf([root])) for (const x of node.inputs) if (x.node === null && x.requiresGrad) seen.set(x.id, x);
  return [...seen.values()];
}

function released(op: string): GradError {
  return new GradError(
    `explain: the graph through '${op}' was already released by backward(); call explain before backward() or pass { retainGraph: true }`,
  );
}

/** ∂y/∂(input k) of an elementwise op, from its shared partials (a number when constant). */
function localPartial(op: ElementwiseOp, k: number, inputs: readonly Tensor[], y: Tensor): Tensor | number | null {
  const a = inputs[0]!;
  const b = inputs[1] ?? 0;
  const f = k === 0 ? op.da : op.db;
  if (f === undefined) return null;
  const v = f(a, b, y);
  return typeof v === 'number' || sameShape(v.shape, y.shape) ? v : v.add(y.mul(0));
}

/** Names for the tensors of a trace: the given names, else the producing op's name with a counter, in creation order. */
function namer(given: ReadonlyMap<number, string>, outputs: readonly Tensor[], root: Tensor): (t: Tensor) => string {
  const auto = new Map<number, string>();
  const counts = new Map<string, number>();
  const seen = new Set<number>();
  const all: Tensor[] = [];
  for (const t of [root, ...outputs, ...outputs.flatMap((o) => o.node?.inputs ?? [])]) {
    if (!seen.has(t.id)) {
      seen.add(t.id);
      all.push(t);
    }
  }
  all.sort((p, q) => p.id - q.id);
  for (const t of all) {
    if (given.has(t.id)) continue;
    const base = t.node !== null ? t.node.op.name : t.requiresGrad ? 'leaf' : 'const';
    const n = (counts.get(base) ?? 0) + 1;
    counts.set(base, n);
    auto.set(t.id, `${base}${n}`);
  }
  return (t) => given.get(t.id) ?? auto.get(t.id) ?? `t${t.id}`;
}

/** {@link explain} on the scalar lane: the recorded partials give each step's local derivatives. */
function explainValue(root: Value, opts: ExplainOptions): Trace {
  if (!root.requiresGrad) throw new GradError('explain: the value does not require grad (it is a constant, detached, or made under noGrad)');
  let g;
  try {
    g = valueGraph(root);
  } catch (e) {
    if (e instanceof GradError) throw new GradError('explain: the graph behind this value was already released by backward(); call explain before backward() or pass { retainGraph: true }');
    throw e;
  }
  const byId = new Map<number, ValueNode>(g.nodes.map((n) => [n.id, n]));
  const given = new Map<number, string>();
  for (const [name, v] of Object.entries(opts.names ?? {})) {
    const id = v instanceof Value ? g.idOf(v) : undefined;
    if (id !== undefined) given.set(id, name);
  }
  const counts = new Map<string, number>();
  const auto = new Map<number, string>();
  for (const n of g.nodes) {
    if (n.kind === 'const') auto.set(n.id, `const(${num(n.data)})`);
    else if (!given.has(n.id)) {
      const base = n.op ?? 'leaf';
      const k = (counts.get(base) ?? 0) + 1;
      counts.set(base, k);
      auto.set(n.id, `${base}${k}`);
    }
  }
  const nameOf = (id: number): string => given.get(id) ?? auto.get(id)!;
  const grads = new Map<number, number>([[g.root, 1]]);
  const steps: TraceStep[] = [];
  // Ops have ids in creation order, so descending ids is the engine's backward order.
  for (const n of [...g.nodes].filter((m) => m.kind === 'op').sort((p, q) => q.id - p.id)) {
    const dy = grads.get(n.id);
    if (dy === undefined) continue;
    const sends = n.inputs.map((id, k) => {
      const x = byId.get(id)!;
      if (x.kind === 'const') return { input: nameOf(id), shape: [] as Shape, local: null, grad: null };
      const sent = dy * n.partials[k]!;
      grads.set(id, (grads.get(id) ?? 0) + sent);
      return { input: nameOf(id), shape: [] as Shape, local: n.partials[k]!, grad: tensor(sent) };
    });
    steps.push({ index: steps.length + 1, op: n.op!, rule: n.rule!, output: nameOf(n.id), shape: [], dy: tensor(dy), sends });
  }
  const lookup = (x: Tensor | Value): number | null => {
    const id = x instanceof Value ? g.idOf(x) : undefined;
    return id === undefined ? null : grads.get(id) ?? null;
  };
  return new Trace(nameOf(g.root), steps, lookup, opts.maxElements ?? 6);
}

function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const s = x.toPrecision(4);
  return s.includes('e') ? s : String(Number(s));
}
