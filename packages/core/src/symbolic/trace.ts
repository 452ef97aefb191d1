// trace: the chain-rule trace of a symbolic backward walk, each step's local derivative and running product as expressions.
import { ArgumentError } from '../base/errors.ts';
import { prove, ruleOf, simplify, type Proof, type Simplified, type SymbolicOptions } from './derive.ts';
import type { Sym } from './expr.ts';
import { backwardSymbolic } from './walk.ts';

/** One step of a {@link SymbolicTrace}. @category Symbolic */
export interface SymbolicTraceStep {
  /** 1-based position in the backward order. */
  readonly index: number;
  /** The op. */
  readonly op: string;
  /** Its rule, printed from the symbolic form of its definition for elementwise ops. */
  readonly rule: string;
  /** The name of the op's output. */
  readonly output: string;
  /** The name of the input on the path to the variable. */
  readonly input: string;
  /** ∂output/∂input (elementwise ops), simplified; null for other ops. */
  readonly local: Simplified | null;
  /** The running product ∂root/∂input, simplified. */
  readonly running: Simplified;
}

/** The result of {@link traceSymbolic}. @category Symbolic */
export interface SymbolicTrace {
  /** The root's name. */
  readonly root: string;
  /** The variable's name. */
  readonly wrt: string;
  /** The steps, root first. */
  readonly steps: readonly SymbolicTraceStep[];
  /** ∂root/∂wrt, simplified. */
  readonly result: Simplified;
  /** The claimed closed form, when one was given, and the verdict on it. */
  readonly claim: {
    /** The closed form. */
    readonly expected: Simplified;
    /** The verdict on ∂root/∂wrt = expected. */
    readonly proof: Proof;
  } | null;
  /** Assumptions used (`sum(t) = 1`). */
  readonly assumptions: readonly string[];
  /** The trace as text, one block per step, in Unicode mathematics. */
  toText(): string;
}

/**
 * The chain-rule trace of a symbolic backward pass: for each op from the root back to the variable, its
 * rule, the local derivative and the running product as simplified expressions; then the result and,
 * given a closed form, the proof that the result equals it (with a numeric check at random points).
 * @param root The expression differentiated (a loss).
 * @param wrt The variable.
 * @param opts `names` for the nodes (`{ L, 'ŷ': yhat, z, t }`), `sumsToOne` assumptions and `expected`, the closed form to prove.
 * @returns The trace.
 * @throws {@link ArgumentError} when root does not depend on wrt.
 * @example
 * ```ts
 * import { binaryCrossEntropy, sigmoid, sub, symbol, traceSymbolic, type Sym } from '@tapegrad/core';
 * const z = symbol('z');
 * const t = symbol('t');
 * const yhat = sigmoid(z as never) as unknown as Sym;
 * const L = binaryCrossEntropy(yhat as never, t as never) as unknown as Sym;
 * const trace = traceSymbolic(L, z, { names: { L, 'ŷ': yhat, z, t }, expected: sub(yhat as never, t as never) as unknown as Sym });
 * console.log(trace.result.math, trace.claim!.proof.status); // ŷ - t equal
 * ```
 * @category Symbolic
 */
export function traceSymbolic(root: Sym, wrt: Sym, opts: SymbolicOptions & { readonly expected?: Sym } = {}): SymbolicTrace {
  const walk = backwardSymbolic(root, [wrt]);
  if (!root.requiresGrad) throw new ArgumentError(`traceSymbolic: the expression does not depend on ${wrt.name}`);
  const given = new Map<number, string>();
  for (const [name, s] of Object.entries(opts.names ?? {})) given.set(s.id, name);
  const counts = new Map<string, number>();
  const nameOf = (s: Sym): string => {
    const g = given.get(s.id);
    if (g !== undefined) return g;
    if (s.kind === 'symbol') return s.name;
    const n = (counts.get(s.name) ?? 0) + 1;
    counts.set(s.name, n);
    given.set(s.id, `${s.name}${n}`);
    return `${s.name}${n}`;
  };
  const rootName = nameOf(root);
  const steps: SymbolicTraceStep[] = [];
  for (const s of walk.steps) {
    for (const e of s.sends) {
      steps.push({
        index: steps.length + 1,
        op: s.op,
        rule: ruleOf(s.def),
        output: nameOf(s.output),
        input: nameOf(e.input),
        local: e.local === null ? null : simplify(e.local, opts),
        running: simplify(e.grad, opts),
      });
    }
  }
  const result = simplify(walk.grads.get(wrt.id)!, opts);
  const claim = opts.expected === undefined ? null : { expected: simplify(opts.expected, opts), proof: prove(walk.grads.get(wrt.id)!, opts.expected, opts) };
  const assumptions = (opts.sumsToOne ?? []).map((t) => `Σ ${t} = 1`);
  const wrtName = nameOf(wrt);
  return {
    root: rootName,
    wrt: wrtName,
    steps,
    result,
    claim,
    assumptions,
    toText(): string {
      const lines = [`symbolic chain-rule trace of ∂${rootName}/∂${wrtName}, ${steps.length} step${steps.length === 1 ? '' : 's'}`];
      for (const s of steps) {
        lines.push('', `step ${s.index}: ${s.op} → ${s.output}`, `  rule      ${s.rule}`);
        if (s.local !== null) lines.push(`  local     ∂${s.output}/∂${s.input} = ${s.local.math}`);
        lines.push(`  running   ∂${rootName}/∂${s.input} = ${s.running.math}`);
      }
      lines.push('', `result    ∂${rootName}/∂${wrtName} = ${result.math}${assumptions.length > 0 ? `   (using ${assumptions.join(', ')})` : ''}`);
      if (claim !== null) {
        const p = claim.proof;
        const verdict = p.status === 'equal'
          ? `proved: the canonical forms are equal (numeric check at ${p.points} random points: largest difference ${p.maxDiff.toExponential(1)})`
          : p.status === 'not proved'
            ? `not proved: the canonical forms differ, but the values agree at ${p.points} random points (largest difference ${p.maxDiff.toExponential(1)})`
            : `FALSE: the values differ by up to ${p.maxDiff.toPrecision(3)}`;
        lines.push(`claim     ∂${rootName}/∂${wrtName} = ${claim.expected.math}: ${verdict}`);
      }
      return lines.join('\n');
    },
  };
}
