// The Trace of a backward pass: its steps as data, and their printing as text and as a Markdown table.
import { fmt, type Shape } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import type { Value } from '../graph/value.ts';

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
  readonly #lookup: (x: Tensor | Value) => Tensor | number | null;
  readonly #max: number;

  /** @internal Use {@link explain}. */
  constructor(root: string, steps: readonly TraceStep[], lookup: (x: Tensor | Value) => Tensor | number | null, maxElements: number) {
    this.root = root;
    this.steps = steps;
    this.#lookup = lookup;
    this.#max = maxElements;
  }

  /**
   * The total ∂L/∂t the trace found for a tensor of the graph (leaf or not).
   * @param t A tensor on the path to the root.
   * @returns Its gradient, or null when the root does not depend on it.
   */
  gradOf(t: Tensor): Tensor | null;
  /**
   * The total ∂L/∂v the trace found for a value of a `Value` graph (leaf or not).
   * @param v A value on the path to the root.
   * @returns Its gradient, or null when the root does not depend on it.
   */
  gradOf(v: Value): number | null;
  gradOf(x: Tensor | Value): Tensor | number | null {
    return this.#lookup(x);
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
