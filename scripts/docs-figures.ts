/**
 * Produces the pictures and the generated parts of the guides, so they always show what the code does:
 *   docs/figures/neuron-graph.svg   z → σ → BCE, the seed neuron on four examples
 *   docs/figures/mlp-graph.svg      a 2-3-1 network, one box per layer (collapsed scopes)
 *   docs/figures/loss-curve.svg     train/test loss of a network fitted on breast-cancer data
 *   docs/derivation.md              the chain-rule trace table between <!-- trace:begin --> and <!-- trace:end -->,
 *                                   and the symbolic traces (KaTeX → MathML) between <!-- symbolic:begin --> and <!-- symbolic:end -->
 * Run: pnpm docs (which runs this first), or tsx --conditions=source scripts/docs-figures.ts [--check].
 * With --check nothing is written; the exit code is 1 when a committed file is out of date.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, explain, tensor } from '@tapegrad/core';
import { fit, loadDataset, MLP, standardize, trainTestSplit } from '@tapegrad/nn';
import { lossCurve, toSvg } from '@tapegrad/viz';
import { symbolicSection } from './docs-symbolic.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The seed neuron on a batch: z → ŷ = σ(z) → L = Σ BCE(ŷ, t). */
export function neuron() {
  const z = tensor([0.5, -1, 2, 0.1], { requiresGrad: true });
  const t = tensor([1, 0, 1, 0]);
  const yhat = z.sigmoid();
  const L = binaryCrossEntropy(yhat, t, { reduction: 'sum' });
  return { z, t, yhat, L };
}

/** Every generated file and its content. */
export async function figures(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const n = neuron();
  const names = { z: n.z, t: n.t, 'ŷ': n.yhat, L: n.L };
  out.set('docs/figures/neuron-graph.svg', await toSvg(n.L, { names }));
  const trace = explain(n.L, { names }).toMarkdown();
  const guide = readFileSync(join(root, 'docs/derivation.md'), 'utf8');

  const net = new MLP({ sizes: [2, 3, 1], activation: 'tanh', seed: 1 });
  const X = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const T = tensor([[0], [1], [1], [0]]);
  const loss = binaryCrossEntropyWithLogits(net.forward(X), T);
  const params = net.layers.flatMap((layer, i) => [[`W${i + 1}`, layer.weight], [`b${i + 1}`, layer.bias!]] as const);
  out.set('docs/figures/mlp-graph.svg', await toSvg(loss, { names: { X, T, loss, ...Object.fromEntries(params) }, collapse: ['Linear', 'tanh'] }));

  const ds = await loadDataset('breastCancer');
  const split = trainTestSplit(ds.x, ds.y, { seed: 1 });
  const { xTrain, xTest } = standardize(split.xTrain, split.xTest);
  const model = new MLP({ sizes: [30, 16, 1], seed: 1 });
  const history = fit(model, { x: xTrain, y: split.yTrain, xTest, yTest: split.yTest }, { epochs: 30, lr: 0.003, seed: 1 });
  out.set('docs/figures/loss-curve.svg', lossCurve(history, { title: 'Breast cancer, 30-16-1 MLP', yLabel: 'binary cross-entropy' }));
  // Last, so the tensors its numeric checks create do not shift the node ids in the figures above.
  out.set('docs/derivation.md', guide
    .replace(/<!-- trace:begin -->[\s\S]*?<!-- trace:end -->/, () => `<!-- trace:begin -->\n${trace}\n<!-- trace:end -->`)
    .replace(/<!-- symbolic:begin -->[\s\S]*?<!-- symbolic:end -->/, () => `<!-- symbolic:begin -->\n${symbolicSection()}\n<!-- symbolic:end -->`));
  return out;
}

async function main(): Promise<void> {
  const isCheck = process.argv.includes('--check');
  let stale = 0;
  for (const [rel, content] of await figures()) {
    const path = join(root, rel);
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      // A missing file is out of date.
    }
    if (old === content) continue;
    stale++;
    if (isCheck) console.log(`out of date: ${rel}`);
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      console.log(`wrote ${rel}`);
    }
  }
  if (isCheck && stale > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
