// symbolic: `tapegrad derive` and `tapegrad explain --symbolic`, derivatives built by the engine's own rules and proved.
import {
  binaryCrossEntropy, derive, div, log, mseLoss, mul, neg, sigmoid, softmax, sub, sum, symbol, tanh, traceSymbolic, TapegradError,
  type Sym, type SymbolicTrace,
} from '@tapegrad/core';
import type { Io } from './io.ts';

/** Usage of derive, for the main help text. */
export const DERIVE_HELP = `  tapegrad derive 'EXPR' --wrt VAR [--json] [--latex] [--vector NAME,...]
                            differentiate EXPR with the engine's own rules, simplify and prove the result,
                            and check it against the numeric engine at random points; prints the derivative
                            in the same language (paste it back in), --latex as LaTeX, --json as
                            { expression, latex, steps: [{ op, rule, result }], proof, ... }.
                            EXPR: numbers, names, + - * / ^, and the core ops as functions: sigmoid exp log
                            tanh softplus relu sqrt square abs sin cos log1p pow(x, n) maximum minimum gt
                            binaryCrossEntropy(yhat, t) mseLoss(y, t) and, on vectors, logsumexp(x) softmax(x)
                            logSoftmax(x) sum(x) mean(x) crossEntropy(z, t) (= -sum(t*log(softmax(z))), with
                            sum(t) = 1). Names inside a vector function are vectors; --vector adds others.
  tapegrad explain --symbolic
                            the chain-rule trace as expressions: the seed neuron (∂L/∂z = ŷ − t, and (ŷ − t)/m
                            with the mean), softmax + cross-entropy (p − t) and tanh + MSE, each proved, then
                            the numeric trace
`;

/** A mistake on the command line of derive (exit code 2). */
export class DeriveUsageError extends Error {}

/**
 * `tapegrad derive`: parses the expression, derives it with respect to the variable and prints the result.
 * @param args Options after the command name.
 * @param io Where to write.
 * @returns 0 when the printed derivative agrees with the numeric engine, 1 otherwise.
 */
export function runDerive(args: readonly string[], io: Io): number {
  let expr: string | undefined;
  let wrt: string | undefined;
  let isJson = false;
  let isLatex = false;
  const vectors: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (v === undefined || v === '') throw new DeriveUsageError(`derive: ${a.split('=')[0]} needs a value`);
      return v;
    };
    if (a === '--json') isJson = true;
    else if (a === '--latex') isLatex = true;
    else if (a === '--wrt' || a.startsWith('--wrt=')) wrt = value();
    else if (a === '--vector' || a.startsWith('--vector=')) vectors.push(...value().split(',').map((s) => s.trim()));
    else if (a.startsWith('--')) throw new DeriveUsageError(`derive: unknown option '${a}'`);
    else if (expr === undefined) expr = a;
    else throw new DeriveUsageError(`derive: one expression expected, got a second one '${a}' (quote the expression)`);
  }
  if (expr === undefined) throw new DeriveUsageError(`derive: an expression is needed, e.g. tapegrad derive 'sigmoid(z)' --wrt z`);
  if (wrt === undefined) throw new DeriveUsageError('derive: --wrt VAR is needed');
  let d;
  try {
    d = derive(expr, wrt, { vectors });
  } catch (e) {
    if (e instanceof TapegradError) throw new DeriveUsageError(e.message);
    throw e;
  }
  const isOk = d.engineMaxDiff <= 1e-9 && d.proof.status !== 'different';
  if (isJson) {
    io.out(`${JSON.stringify({
      expression: d.expression,
      latex: d.latex,
      steps: d.steps,
      proof: { status: d.proof.status, points: d.proof.points, maxDiff: d.proof.maxDiff },
      engineMaxDiff: d.engineMaxDiff,
      assumptions: d.assumptions,
      ...(d.note === undefined ? {} : { note: d.note }),
    })}\n`);
    return isOk ? 0 : 1;
  }
  io.out(`${isLatex ? d.latex : d.expression}\n`);
  if (d.assumptions.length > 0) io.err(`(using ${d.assumptions.join(', ')})\n`);
  if (d.note !== undefined) io.err(`note: ${d.note}\n`);
  if (!isOk) io.err(`MISMATCH with the numeric engine: largest difference ${d.engineMaxDiff}\n`);
  return isOk ? 0 : 1;
}

const S = (x: unknown): Sym => x as Sym;
const A = (x: Sym | number): never => x as never;

/** One case of `explain --symbolic`. */
export interface SymbolicCase {
  /** What the case computes. */
  readonly title: string;
  /** Its symbolic trace. */
  readonly trace: SymbolicTrace;
}

/**
 * The symbolic traces of `explain --symbolic`: the seed neuron (one example, then the mean over m), softmax with
 * cross-entropy, and tanh with squared error, each with the closed form it proves.
 * @returns A title and a trace per case.
 * @example
 * ```ts
 * import { symbolicTraces } from '@tapegrad/cli';
 * console.log(symbolicTraces()[0]!.trace.result.math); // ŷ − t
 * ```
 */
export function symbolicTraces(): SymbolicCase[] {
  const out: { title: string; trace: SymbolicTrace }[] = [];
  {
    const z = symbol('z');
    const t = symbol('t');
    const yhat = S(sigmoid(A(z)));
    const L = S(binaryCrossEntropy(A(yhat), A(t)));
    out.push({ title: 'The seed neuron: ŷ = σ(z), L = −[t·ln ŷ + (1 − t)·ln(1 − ŷ)]', trace: traceSymbolic(L, z, { names: { L, 'ŷ': yhat, z, t }, expected: S(sub(A(yhat), A(t))) }) });
  }
  {
    const z = symbol('z', ['m']);
    const t = symbol('t', ['m']);
    const yhat = S(sigmoid(A(z)));
    const L = S(binaryCrossEntropy(A(yhat), A(t)));
    const expected = S(div(A(S(sub(A(yhat), A(t)))), A(symbol('m'))));
    out.push({ title: 'The same neuron on m examples: L = the mean of the m losses', trace: traceSymbolic(L, z, { names: { L, 'ŷ': yhat, z, t }, expected }) });
  }
  {
    const z = symbol('z', ['n']);
    const t = symbol('t', ['n']);
    const p = S(softmax(A(z)));
    const L = S(neg(A(S(sum(A(S(mul(A(t), A(S(log(A(p))))))))))));
    out.push({ title: 'Softmax + cross-entropy: p = softmax(z), L = −Σ t·ln p, with a one-hot (or probability) t', trace: traceSymbolic(L, z, { names: { L, p, z, t }, sumsToOne: ['t'], expected: S(sub(A(p), A(t))) }) });
  }
  {
    const z = symbol('z');
    const t = symbol('t');
    const yhat = S(tanh(A(z)));
    const L = S(mseLoss(A(yhat), A(t)));
    const expected = S(mul(2, A(S(mul(A(S(sub(A(yhat), A(t)))), A(S(sub(1, A(S(mul(A(yhat), A(yhat))))))))))));
    out.push({ title: 'tanh + squared error: ŷ = tanh(z), L = (ŷ − t)²', trace: traceSymbolic(L, z, { names: { L, 'ŷ': yhat, z, t }, expected }) });
  }
  return out;
}

/**
 * `tapegrad explain --symbolic`: prints the symbolic traces, each ending in its proved identity.
 * @param io Where to write.
 * @returns 0 when every identity is proved, 1 otherwise.
 */
export function runExplainSymbolic(io: Io): number {
  let isOk = true;
  for (const { title, trace } of symbolicTraces()) {
    io.out(`${title}\n\n${trace.toText()}\n\n`);
    if (trace.claim?.proof.status !== 'equal') isOk = false;
  }
  return isOk ? 0 : 1;
}
