/** A starter program of the playground. */
export interface Example {
  readonly id: string;
  readonly title: string;
  readonly code: string;
}

const SEED = `// The seed neuron: ŷ = σ(z), L = BCE(ŷ, t). Move the sliders: ∂L/∂z follows ŷ − t.
import { value } from '@tapegrad/core';

const z = value(playground.slider('z', 0.5, { min: -6, max: 6, step: 0.01 }));
const t = playground.slider('t', 1, { min: 0, max: 1, step: 0.01 });
const yhat = z.sigmoid();
// L = −[t·ln ŷ + (1 − t)·ln(1 − ŷ)]
const L = yhat.log().mul(t).add(yhat.neg().add(1).log().mul(1 - t)).neg();
playground.label({ z, 'ŷ': yhat, L });
L.backward();

console.log('ŷ     =', yhat.data.toFixed(6));
console.log('L     =', L.data.toFixed(6));
console.log('∂L/∂z =', z.grad.toFixed(6));
console.log('ŷ − t =', (yhat.data - t).toFixed(6));
`;

const VALUE_MLP = `// A micrograd-style MLP on Values, trained on two interleaved half moons,
// with its decision boundary drawn below the output.
import { Rng, value, noGrad, type Value } from '@tapegrad/core';

const rng = new Rng(3);
// The data: 60 points on two half moons, labels ±1.
const xs: [number, number][] = [];
const ys: number[] = [];
for (let i = 0; i < 60; i++) {
  const a = Math.PI * rng.uniform();
  const upper = i % 2 === 0;
  xs.push(upper
    ? [Math.cos(a) + 0.1 * rng.normal(), Math.sin(a) + 0.1 * rng.normal()]
    : [1 - Math.cos(a) + 0.1 * rng.normal(), 0.5 - Math.sin(a) + 0.1 * rng.normal()]);
  ys.push(upper ? 1 : -1);
}

class Neuron {
  w: Value[]; b: Value;
  constructor(n: number, readonly isLinear = false) {
    this.w = Array.from({ length: n }, () => value(rng.uniform() * 2 - 1));
    this.b = value(0);
  }
  call(x: (Value | number)[]): Value {
    let s = this.b;
    x.forEach((xi, i) => { s = s.add(this.w[i]!.mul(xi)); });
    return this.isLinear ? s : s.relu();
  }
}
const sizes = [2, 12, 12, 1];
const layers = sizes.slice(1).map((n, i) =>
  Array.from({ length: n }, () => new Neuron(sizes[i]!, i === sizes.length - 2)));
const params = layers.flat().flatMap((n) => [...n.w, n.b]);
const model = (x: (Value | number)[]): Value =>
  layers.reduce<(Value | number)[]>((h, layer) => layer.map((n) => n.call(h)), x)[0] as Value;

// Max-margin loss with L2 regularization, full batch, as in micrograd's demo.
for (let step = 0; step < 40; step++) {
  let loss = value(0, false);
  let correct = 0;
  xs.forEach((x, i) => {
    const score = model(x);
    loss = loss.add(score.mul(-ys[i]!).add(1).relu());
    if ((score.data > 0) === (ys[i]! > 0)) correct++;
  });
  loss = loss.div(xs.length);
  for (const p of params) loss = loss.add(p.mul(p).mul(1e-4));
  for (const p of params) p.grad = 0;
  loss.backward();
  const lr = 1 - 0.9 * step / 40;
  for (const p of params) p.data -= lr * p.grad;
  if (step % 5 === 0 || step === 39) console.log(\`step \${step}: loss \${loss.data.toFixed(4)}, accuracy \${(100 * correct / xs.length).toFixed(0)}%\`);
}

// The decision boundary: the model's sign on a grid, and the points.
const W = 300, H = 240, N = 30;
const x0 = -1.5, x1 = 2.5, y0 = -1.2, y1 = 1.6;
const px = (x: number) => ((x - x0) / (x1 - x0)) * W;
const py = (y: number) => H - ((y - y0) / (y1 - y0)) * H;
let cells = '';
noGrad(() => {
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    const x = x0 + (i + 0.5) * (x1 - x0) / N, y = y0 + (j + 0.5) * (y1 - y0) / N;
    const s = model([x, y]).data;
    cells += \`<rect x="\${(i * W / N).toFixed(1)}" y="\${(H - (j + 1) * H / N).toFixed(1)}" width="\${(W / N + 0.5).toFixed(1)}" height="\${(H / N + 0.5).toFixed(1)}" fill="\${s > 0 ? '#cfe3f7' : '#f9d9c9'}"/>\`;
  }
});
const dots = xs.map(([x, y], i) =>
  \`<circle cx="\${px(x).toFixed(1)}" cy="\${py(y).toFixed(1)}" r="3.5" fill="\${ys[i]! > 0 ? '#1f6fb2' : '#d9480f'}"/>\`).join('');
playground.display(\`<svg xmlns="http://www.w3.org/2000/svg" width="\${W}" height="\${H}" viewBox="0 0 \${W} \${H}">\${cells}\${dots}</svg>\`, 'decision boundary');
`;

const TENSOR_MLP = `// A tensor MLP on the breast-cancer data set (569 tumours, 30 features), with its loss curve.
import { binaryCrossEntropyWithLogits } from '@tapegrad/core';
import { fit, loadDataset, MLP, standardize, trainTestSplit } from '@tapegrad/nn';
import { lossCurve } from '@tapegrad/viz';

const ds = await loadDataset('breastCancer');
const split = trainTestSplit(ds.x, ds.y, { seed: 1 });
const { xTrain, xTest } = standardize(split.xTrain, split.xTest);
const model = new MLP({ sizes: [30, 16, 1], seed: 1 });
const history = fit(model, { x: xTrain, y: split.yTrain, xTest, yTest: split.yTest }, { epochs: 20, lr: 0.003, seed: 1 });
const last = history.epochs[history.epochs.length - 1]!;
console.log(\`after \${history.epochs.length} epochs: train loss \${last.loss.toFixed(4)}, test loss \${last.testLoss.toFixed(4)}\`);
playground.display(lossCurve(history, { title: 'Breast cancer, 30-16-1 MLP', yLabel: 'binary cross-entropy' }), 'loss curve');

// One more step by hand, to see its graph, gradients and trace in the panes.
const loss = binaryCrossEntropyWithLogits(model.forward(xTrain.slice(0, 0, 4)), split.yTrain.slice(0, 0, 4).reshape([4, 1]));
playground.label({ loss });
loss.backward();
`;

const BROKEN_OP = `// A custom op with a wrong backward rule, and gradcheck catching it.
import { customOp, gradcheck, tensor } from '@tapegrad/core';

// y = x³, so dy/dx = 3x². This rule forgets the 3.
const cube = customOp({
  name: 'cube',
  rule: 'y = x³, dy/dx = 3x² ⇒ dx = dy·3x² (but the code drops the 3)',
  forward: (x) => ({ data: x.data.map((v) => v ** 3), shape: x.shape }),
  backward: ({ inputs: [x], dy }) => [dy.mul(x!.square())],
});

const report = gradcheck((v) => cube(v), [tensor([0.5, -1.2, 2])]);
console.log('gradcheck ok:', report.ok);
console.log(report.message);

// The same check with raise: true throws a typed GradCheckError, shown with its line.
const x = tensor([0.5, -1.2, 2], { requiresGrad: true });
playground.label({ x });
cube(x).sum().backward();
gradcheck((v) => cube(v), [x], { raise: true });
`;

/** The starter examples, in the order the menu lists them. */
export const EXAMPLES: readonly Example[] = [
  { id: 'seed-neuron', title: 'Seed neuron: σ + BCE, ∂L/∂z = ŷ − t (sliders)', code: SEED },
  { id: 'value-mlp', title: 'micrograd-style Value MLP, decision boundary', code: VALUE_MLP },
  { id: 'tensor-mlp', title: 'Tensor MLP on breast cancer, loss curve', code: TENSOR_MLP },
  { id: 'broken-op', title: 'A broken custom op caught by gradcheck', code: BROKEN_OP },
];
