import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, explain, tensor, value, type Tensor, type Value } from '@tapegrad/core';
import { AGREEMENT_TOLERANCE, fitStandardizer, MLP } from '@tapegrad/nn';
import { loadDatasetSync } from '@tapegrad/nn/node';
import { toDot, toMermaid, toSvg, type GraphOptions } from '@tapegrad/viz';
import { DEMO_DEFAULTS } from './demo.ts';
import { writeFileAtomic } from './files.ts';
import type { Io } from './io.ts';
import { neuronLoss } from './seed-neuron.ts';

/** Usage of the two commands, for the main help text. */
export const EXPLAIN_GRAPH_HELP = `  tapegrad explain [--markdown] [--scalar]
                            the chain-rule trace of the seed neuron z → σ → BCE on four examples:
                            ∂L/∂ŷ = −t/ŷ + (1 − t)/(1 − ŷ), ∂ŷ/∂z = ŷ(1 − ŷ), product ŷ − t;
                            --scalar: the same neuron on micrograd-style Values, z = w·x + b, one example
  tapegrad graph [--svg <file>] [--dot <file>] [--mermaid <file>] [--direction LR|TB] [--expand] [--scalar]
                            draw the demo network's graph (one box per layer; --expand shows every op);
                            --scalar draws the Value neuron instead, op, data and grad in every box
                            (micrograd's draw_dot); with no file, prints DOT to stdout
`;

/** A mistake on the command line of explain or graph. */
export class ExplainGraphUsageError extends Error {}

/**
 * `tapegrad explain`: prints the chain-rule trace of the seed neuron and checks that the gradient the
 * sigmoid sends to z equals ŷ − t element by element.
 * @param args Options after the command name.
 * @param io Where to write.
 * @returns 0 when the trace shows ∂L/∂z = ŷ − t, 1 otherwise.
 */
export function runExplain(args: readonly string[], io: Io): number {
  const isMarkdown = args.includes('--markdown');
  const unknown = args.find((a) => a !== '--markdown' && a !== '--scalar');
  if (unknown !== undefined) throw new ExplainGraphUsageError(`explain: unknown option '${unknown}'`);
  if (args.includes('--scalar')) return explainScalar(isMarkdown, io);
  const z = tensor([0.5, -1, 2, 0.1], { requiresGrad: true });
  const t = tensor([1, 0, 1, 0]);
  const yhat = z.sigmoid();
  const L = binaryCrossEntropy(yhat, t, { reduction: 'sum' });
  const trace = explain(L, { names: { z, t, 'ŷ': yhat, L } });
  io.out('The seed neuron on four examples: ŷ = σ(z), L = Σ −[t·ln ŷ + (1 − t)·ln(1 − ŷ)]\n');
  io.out(`  z = ${show(z)}\n  t = ${show(t)}\n  ŷ = ${show(yhat)}\n\n`);
  io.out((isMarkdown ? trace.toMarkdown() : trace.toText()) + '\n\n');
  const sent = trace.gradOf(z)!;
  const expected = yhat.sub(t);
  let worst = 0;
  for (let i = 0; i < sent.size; i++) worst = Math.max(worst, Math.abs(sent.data[i]! - expected.data[i]!));
  const isOk = worst <= AGREEMENT_TOLERANCE;
  io.out(`∂L/∂z from the trace = ${show(sent)}\nŷ − t                 = ${show(expected)}\n`);
  io.out(isOk ? `They agree element by element (largest difference ${worst.toExponential(1)}).\n` : `MISMATCH: largest difference ${worst}.\n`);
  return isOk ? 0 : 1;
}

/** The seed neuron on `Value`s at one point, with names for its values. */
function scalarNeuron(): { w: Value; b: Value; x: number; t: number; z: Value; yhat: Value; loss: Value; names: Record<string, Value> } {
  const w = value(0.8);
  const b = value(-0.3);
  const x = 1.5;
  const t = 1;
  const { z, yhat, loss } = neuronLoss(w, b, x, t);
  return { w, b, x, t, z, yhat, loss, names: { w, b, z, 'ŷ': yhat, L: loss } };
}

/** `tapegrad explain --scalar`: the trace of the `Value` neuron, checked against ŷ − t. */
function explainScalar(isMarkdown: boolean, io: Io): number {
  const n = scalarNeuron();
  const trace = explain(n.loss, { names: n.names });
  io.out('The seed neuron on Values: z = w·x + b, ŷ = σ(z), L = −[t·ln ŷ + (1 − t)·ln(1 − ŷ)]\n');
  io.out(`  w = ${n.w.data}, b = ${n.b.data}, x = ${n.x}, t = ${n.t}\n  z = ${fix(n.z.data)}, ŷ = ${fix(n.yhat.data)}, L = ${fix(n.loss.data)}\n\n`);
  io.out((isMarkdown ? trace.toMarkdown() : trace.toText()) + '\n\n');
  const sent = trace.gradOf(n.z)!;
  const expected = n.yhat.data - n.t;
  const diff = Math.abs(sent - expected);
  const isOk = diff <= 1e-12;
  io.out(`∂L/∂z from the trace = ${fix(sent)}\nŷ − t                 = ${fix(expected)}\n`);
  io.out(isOk ? `They agree (difference ${diff.toExponential(1)}).\n` : `MISMATCH: difference ${diff}.\n`);
  return isOk ? 0 : 1;
}

/**
 * `tapegrad graph`: draws the demo network (breast-cancer inputs, the demo's hidden widths and activation,
 * one sigmoid output with binary cross-entropy) on four examples, before any backward pass.
 * @param args Options after the command name.
 * @param io Where to write.
 * @returns The exit code (a promise when an SVG is rendered).
 */
export function runGraph(args: readonly string[], io: Io): number | Promise<number> {
  const files: { svg?: string; dot?: string; mermaid?: string } = {};
  const opts: { direction: 'LR' | 'TB'; collapse: GraphOptions['collapse'] } = { direction: 'LR', collapse: ['Linear', DEMO_DEFAULTS.activation] };
  let isScalar = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v === '') throw new ExplainGraphUsageError(`graph: ${arg} needs a value`);
      return v;
    };
    if (arg === '--svg') files.svg = value();
    else if (arg === '--dot') files.dot = value();
    else if (arg === '--mermaid') files.mermaid = value();
    else if (arg === '--expand') opts.collapse = false;
    else if (arg === '--scalar') isScalar = true;
    else if (arg === '--direction') {
      const v = value().toUpperCase();
      if (v !== 'LR' && v !== 'TB') throw new ExplainGraphUsageError(`graph: --direction must be LR or TB, got '${v}'`);
      opts.direction = v;
    } else throw new ExplainGraphUsageError(`graph: unknown option '${arg}'`);
  }
  const { loss, names } = isScalar ? scalarGraph() : demoGraph();
  const graphOpts: GraphOptions = isScalar ? { direction: opts.direction, names } : { ...opts, names };
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, text);
    io.out(`wrote ${path}\n`);
  };
  // Every drawing reads the graph now, before anything could release it.
  const dot = toDot(loss, graphOpts);
  if (files.dot !== undefined) write(files.dot, dot + '\n');
  if (files.mermaid !== undefined) write(files.mermaid, toMermaid(loss, graphOpts) + '\n');
  if (files.svg === undefined) {
    if (files.dot === undefined && files.mermaid === undefined) io.out(dot + '\n');
    return 0;
  }
  const svgPath = files.svg;
  return toSvg(loss, graphOpts).then((svg) => {
    write(svgPath, svg);
    return 0;
  });
}

/** The `Value` neuron after a backward pass that keeps the graph, so every box shows its gradient. */
function scalarGraph(): { loss: Value; names: Record<string, Value> } {
  const n = scalarNeuron();
  n.loss.backward({ retainGraph: true });
  return { loss: n.loss, names: n.names };
}

/** The demo's network on four standardized breast-cancer examples, and names for its tensors. */
function demoGraph(): { loss: Tensor; names: Record<string, Tensor> } {
  const ds = loadDatasetSync('breastCancer');
  const rows = (ds.x.toArray() as number[][]).slice(0, 4);
  const labels = (ds.y.toArray() as number[]).slice(0, 4);
  const X = fitStandardizer(ds.x).transform(tensor(rows));
  const T = tensor(labels.map((v) => [v]));
  const sizes = [ds.x.shape[1]!, ...DEMO_DEFAULTS.hidden, 1];
  const model = new MLP({ sizes, activation: DEMO_DEFAULTS.activation, seed: DEMO_DEFAULTS.seed });
  const loss = binaryCrossEntropyWithLogits(model.forward(X), T);
  const names: Record<string, Tensor> = { X, T, loss };
  model.layers.forEach((layer, i) => {
    names[`W${i + 1}`] = layer.weight;
    if (layer.bias !== null) names[`b${i + 1}`] = layer.bias;
  });
  return { loss, names };
}

function fix(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function show(t: Tensor): string {
  return `[${Array.from(t.data, (v) => Number(v.toPrecision(6))).join(', ')}]`;
}
