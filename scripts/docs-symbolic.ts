/**
 * The symbolic part of docs/derivation.md, between <!-- symbolic:begin --> and <!-- symbolic:end -->: the
 * symbolic traces and the matrix chain of the seed network, derived by the engine's own rules and rendered
 * to MathML with KaTeX here, at docs build time, so the page needs no script or stylesheet.
 */
import katex from 'katex';
import { add, backwardSymbolic, binaryCrossEntropy, derive, matmul, sigmoid, simplify, symbol, type Sym } from '@tapegrad/core';
import { symbolicTraces } from '@tapegrad/cli';

const S = (x: unknown): Sym => x as Sym;
const A = (x: Sym): never => x as never;
const tex = (s: string, isDisplay = false): string => katex.renderToString(s, { output: 'mathml', displayMode: isDisplay, throwOnError: true });

/** The generated HTML and Markdown between the markers. */
export function symbolicSection(): string {
  const out: string[] = [];
  for (const { title, trace } of symbolicTraces()) {
    out.push(`**${title}**`, '', '<table>', '<tr><th>step</th><th>op</th><th>local derivative</th><th>running product</th></tr>');
    for (const s of trace.steps) {
      const local = s.local === null ? '(rule on the whole vector)' : tex(`\\frac{\\partial ${s.output === 'ŷ' ? '\\hat{y}' : s.output}}{\\partial ${s.input === 'ŷ' ? '\\hat{y}' : s.input}} = ${s.local.latex}`);
      out.push(`<tr><td>${s.index}</td><td><code>${s.op}</code></td><td>${local}</td><td>${tex(`\\frac{\\partial L}{\\partial ${s.input === 'ŷ' ? '\\hat{y}' : s.input}} = ${s.running.latex}`)}</td></tr>`);
    }
    out.push('</table>', '');
    const claim = trace.claim!;
    const verdict = claim.proof.status === 'equal' ? 'proved (canonical forms equal)' : claim.proof.status;
    out.push(`<p>${tex(`\\frac{\\partial L}{\\partial z} = ${trace.result.latex}`, true)}</p>`, '');
    out.push(`${verdict}; numeric check at ${claim.proof.points} random points, largest difference ${claim.proof.maxDiff.toExponential(1)}${trace.assumptions.length > 0 ? `; using ${trace.assumptions.join(', ')}` : ''}.`, '');
  }
  // The seed's two-layer network, columns as examples: Z₁ = W₁·X + b₁, A₁ = σ(Z₁), Z₂ = W₂·A₁ + b₂, Ŷ = σ(Z₂), L = mean BCE.
  const X = symbol('X', ['d', 'm']);
  const W1 = symbol('W1', ['h', 'd']);
  const b1 = symbol('b1', ['h', 1]);
  const W2 = symbol('W2', [1, 'h']);
  const b2 = symbol('b2', [1, 1]);
  const T = symbol('T', [1, 'm']);
  const Z1 = S(add(A(S(matmul(A(W1), A(X)))), A(b1)));
  const A1 = S(sigmoid(A(Z1)));
  const Z2 = S(add(A(S(matmul(A(W2), A(A1)))), A(b2)));
  const Yhat = S(sigmoid(A(Z2)));
  const L = S(binaryCrossEntropy(A(Yhat), A(T)));
  const walk = backwardSymbolic(L, [W2, b2, W1, b1, X], { cuts: new Map([[Z2, 'Z2'], [Z1, 'Z1']]) });
  const names = { 'Ŷ': Yhat, A1 };
  const rows: string[] = [];
  const row = (lhs: string, e: Sym): void => {
    rows.push(`${lhs} &= ${simplify(e, { names }).latex}`);
  };
  row('\\mathrm{d}Z_{2}', walk.cuts[0]!.grad);
  row('\\mathrm{d}W_{2}', walk.grads.get(W2.id)!);
  row('\\mathrm{d}b_{2}', walk.grads.get(b2.id)!);
  row('\\mathrm{d}Z_{1}', walk.cuts[1]!.grad);
  row('\\mathrm{d}W_{1}', walk.grads.get(W1.id)!);
  row('\\mathrm{d}b_{1}', walk.grads.get(b1.id)!);
  row('\\mathrm{d}X', walk.grads.get(X.id)!);
  out.push('**The matrix chain of the two-layer network** (examples as columns; Σ over axis 1 sums the columns, A₁ = σ(Z₁), so A₁ ⊙ (1 − A₁) = σ′(Z₁)):', '');
  out.push(`<p>${tex(`\\begin{aligned}${rows.join(' \\\\ ')}\\end{aligned}`, true)}</p>`, '');
  out.push('**`tapegrad derive`** on five expressions:', '', '| expression | wrt | derivative | proof |', '| --- | --- | --- | --- |');
  for (const [e, v] of [['binaryCrossEntropy(sigmoid(z), t)', 'z'], ['mseLoss(tanh(z), t)', 'z'], ['log(1 + exp(z))', 'z'], ['logsumexp(x)', 'x'], ['crossEntropy(z, t)', 'z']] as const) {
    const d = derive(e, v);
    out.push(`| \`${e}\` | ${v} | \`${d.expression}\` ${tex(d.latex)} | ${d.proof.status}${d.assumptions.length > 0 ? ` (${d.assumptions.join(', ')})` : ''} |`);
  }
  return out.join('\n');
}
