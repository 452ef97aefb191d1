// explain(): a chain-rule trace of one backward pass, step by step, with each op's rule and the gradients it sent.
import { ArgumentError, GradError, ShapeError } from '../base/errors.ts';
import type { ElementwiseOp } from '../ops/define.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { sumToShape } from './engine.ts';
import { tapeOf, withRecording } from '../graph/tape.ts';
import { ones } from '../graph/creation.ts';
import { Tensor } from '../graph/tensor.ts';

/** Options of {@link explain}. @category Autograd */
export interface ExplainOptions {
  /** Names to print for tensors, e.g. `{ z, 'ŷ': yhat, t }`; others are named after their op (`mul1`, `leaf2`). */
  readonly names?: Readonly<Record<string, Tensor>>;
  /** ∂L/∂root; needed when root has more than one element. */
  readonly seed?: Tensor;
  /** How many elements of each tensor the printed forms show (default 6). */
  readonly maxElements?: number;
}

/** What one step of the trace sends to one input of its op. @category Autograd */
export interface TraceSend {
  /** The input's name. */
  readonly input: string;
  /** The input's shape. */
  readonly shape: Shape;
  /** The local derivative ∂out/∂input, elementwise ops only (a number when constant); null otherwise. */
  readonly local: Tensor | number | null;
  /** ∂L/∂input contributed by this step (already summed back to the input's shape); null when the input takes no gradient. */
  readonly grad: Tensor | null;
}

/** One step of the backward pass: one op, its rule, the gradient that reached it and what it passes on. @category Autograd */
export interface TraceStep {
  /** 1-based position in the backward order. */
  readonly index: number;
  /** The op's name. */
  readonly op: string;
  /** The op's derivation (its `rule` string). */
  readonly rule: string;
  /** The name of the op's output. */
  readonly output: string;
  /** The output's shape. */
  readonly shape: Shape;
  /** ∂L/∂output, complete when the step runs (every later use has contributed). */
  readonly dy: Tensor;
  /** One entry per input, in argument order. */
  readonly sends: readonly TraceSend[];
}

/**
 * The chain-rule trace of a backward pass, as returned by {@link explain}.
 * @category Autograd
 */
export class Trace {
  /** The name of the differentiated tensor. */
  readonly root: string;
  /** The steps in the order backward runs them (root first). */
  readonly steps: readonly TraceStep[];
  readonly #grads: ReadonlyMap<number, Tensor>;
  readonly #max: number;

  /** @internal Use {@link explain}. */
  constructor(root: string, steps: readonly TraceStep[], grads: ReadonlyMap<number, Tensor>, maxElements: number) {
    this.root = root;
    this.steps = steps;
    this.#grads = grads;
    this.#max = maxElements;
  }

  /**
   * The total ∂L/∂t the trace found for a tensor of the graph (leaf or not).
   * @param t A tensor on the path to the root.
   * @returns Its gradient, or null when the root does not depend on it.
   */
  gradOf(t: Tensor): Tensor | null {
    return this.#grads.get(t.id) ?? null;
  }

  /**
   * The trace as plain text, one block per step.
   * @returns Lines joined by `\n`.
   */
  toText(): string {
    const show = (t: Tensor | number | null): string => showValue(t, this.#max);
    const lines: string[] = [`chain-rule trace of ∂${this.root}, ${this.steps.length} step${this.steps.length === 1 ? '' : 's'}`];
    for (const s of this.steps) {
      lines.push('', `step ${s.index}: ${s.op} → ${s.output} ${fmt(s.shape)}`, `  rule      ${s.rule}`, `  incoming  ∂${this.root}/∂${s.output} = ${show(s.dy)}`);
      for (const e of s.sends) {
        const local = e.local === null || e.grad === null ? '' : `  (local ∂${s.output}/∂${e.input} = ${show(e.local)})`;
        const sent = e.grad === null ? 'nothing (constant)' : show(e.grad);
        lines.push(`  sends     ∂${this.root}/∂${e.input} += ${sent}${local}`);
      }
    }
    return lines.join('\n');
  }

  /**
   * The trace as a Markdown table: step, op, rule, incoming gradient, what goes to each input.
   * @returns The table, with a header row.
   */
  toMarkdown(): string {
    const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const show = (t: Tensor | number | null): string => showValue(t, this.#max);
    const rows = [
      `| step | op | rule | incoming ∂${cell(this.root)}/∂out | sends to each input |`,
      '| --- | --- | --- | --- | --- |',
    ];
    for (const s of this.steps) {
      const sends = s.sends
        .map((e) => {
          const local = e.local === null || e.grad === null ? '' : ` (local ${show(e.local)})`;
          return `∂${e.input}: ${e.grad === null ? '—' : show(e.grad)}${local}`;
        })
        .join('<br>');
      const cells = [String(s.index), `\`${s.op}\` → ${s.output}`, s.rule, show(s.dy), sends];
      rows.push(`| ${cells.map(cell).join(' | ')} |`);
    }
    return rows.join('\n');
  }
}

/**
 * Explains a backward pass step by step: walks the recorded graph from `root` back to its inputs (in a
 * loop, reverse creation order, as the engine does) and reports each op, its derivation (the op's
 * `rule`), the complete gradient that reached its output, the local derivative of elementwise ops, and
 * what it sends to each input. Nothing is written to `.grad` and the graph is not released, so you can
 * call it before `backward()`.
 * @param root The tensor to differentiate (a scalar loss, or pass `seed`).
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
export function explain(root: Tensor, opts: ExplainOptions = {}): Trace {
  if (!(root instanceof Tensor)) throw new ArgumentError(`explain: root must be a Tensor, got ${typeof root}`);
  if (!root.requiresGrad) throw new GradError(`explain: the tensor of shape ${fmt(root.shape)} does not require grad`);
  const seed = opts.seed ?? (root.size === 1 ? ones(root.shape, { dtype: root.dtype }) : undefined);
  if (seed === undefined) throw new GradError(`explain: a seed is needed for a non-scalar root, got shape ${fmt(root.shape)}`);
  if (!sameShape(seed.shape, root.shape)) throw new ShapeError(`explain: seed must have the root's shape ${fmt(root.shape)}, got ${fmt(seed.shape)}`);
  const given = new Map<number, string>();
  for (const [name, t] of Object.entries(opts.names ?? {})) given.set(t.id, name);
  const grads = new Map<number, Tensor>([[root.id, seed]]);
  const raw: { op: ElementwiseOp | null; name: string; rule: string; out: Tensor; dy: Tensor; inputs: readonly Tensor[]; sends: { local: Tensor | number | null; grad: Tensor | null }[] }[] = [];
  const tape = tapeOf([root]);
  const start = tape.length - 1;
  if (root.node !== null && root.node.isReleased) throw released(root.node.op.name);
  withRecording(false, () => {
    for (let i = start; i >= 0; i--) {
      const node = tape[i]!;
      const out = node.output;
      const dy = grads.get(out.id);
      if (dy === undefined) continue;
      if (node.isReleased) throw released(node.op.name);
      const rule = node.op.rawBackward ?? node.op.backward;
      if (rule === undefined) throw new GradError(`explain: no backward rule for op '${node.op.name}'`);
      const gs = rule({ inputs: node.inputs, output: out, dy, attrs: node.attrs });
      const op = 'arity' in node.op ? (node.op as ElementwiseOp) : null;
      const sends = node.inputs.map((x, k) => {
        const g = gs[k];
        const local = op === null ? null : localPartial(op, k, node.inputs, out);
        if (g === null || g === undefined || !x.requiresGrad) return { local, grad: null };
        const gx = sumToShape(g, x.shape);
        const prev = grads.get(x.id);
        grads.set(x.id, prev === undefined ? gx : prev.add(gx));
        return { local, grad: gx };
      });
      raw.push({ op, name: node.op.name, rule: node.op.rule, out, dy, inputs: node.inputs, sends });
    }
  });
  const nameOf = namer(given, raw.map((r) => r.out), root);
  const steps: TraceStep[] = raw.map((r, i) => ({
    index: i + 1,
    op: r.name,
    rule: r.rule,
    output: nameOf(r.out),
    shape: r.out.shape,
    dy: r.dy,
    sends: r.inputs.map((x, k) => ({ input: nameOf(x), shape: x.shape, local: r.sends[k]!.local, grad: r.sends[k]!.grad })),
  }));
  return new Trace(nameOf(root), steps, grads, opts.maxElements ?? 6);
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

/** A short printed form of a tensor: up to `max` elements with 4 significant digits, then `…`. */
function showValue(t: Tensor | number | null, max: number): string {
  if (t === null) return '—';
  if (typeof t === 'number') return num(t);
  const d = t.data;
  if (t.rank === 0) return num(d[0]!);
  const shown = Array.from(d.subarray(0, max), num);
  if (d.length > max) shown.push('…');
  return `[${shown.join(', ')}]${t.rank > 1 || d.length > max ? ` ${fmt(t.shape)}` : ''}`;
}

function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const s = x.toPrecision(4);
  return s.includes('e') ? s : String(Number(s));
}
