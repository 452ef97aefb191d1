// The consumer program of the consumer check (scripts/check-consumers.ts): what a library user does
// with the installed packages. It runs unchanged on Node, Bun, Deno and (bundled by esbuild) in Chromium,
// and returns numbers that must agree across runtimes, plus what the back end is using and the speed
// of a 512² float64 matmul.
import {
  backendInfo, gradcheck, matmul, mul, ready, sum, tanh, tensor, value,
} from '@tapegrad/core';
import { Adam, loadDataset, MLP, standardize, trainTestSplit } from '@tapegrad/nn';

/** A deterministic matrix with entries in [−0.5, 0.5). */
function matrix(n, m, salt) {
  const data = new Float64Array(n * m);
  for (let i = 0; i < data.length; i++) data[i] = (((i + salt) * 7919) % 1013) / 1013 - 0.5;
  return tensor(data, { shape: [n, m] });
}

function checksum(t) {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i] * ((i % 7) + 1);
  return s;
}

export async function runConsumer() {
  const info = await ready();
  const out = {};

  // Value backward (the scalar lane).
  const a = value(1.5);
  const b = value(-0.25);
  const c = a.mul(b).add(a.tanh()).mul(a);
  c.backward();
  out.valueForward = c.data;
  out.valueGradA = a.grad;
  out.valueGradB = b.grad;

  // Tensor backward.
  const x = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  const y = sum(mul(tanh(matmul(x, x)), x));
  y.backward();
  out.tensorForward = y.item();
  out.tensorGrad = Array.from(x.grad.data);

  // gradcheck of a small composite function.
  const report = gradcheck((t) => sum(tanh(matmul(t, t))), [tensor([[0.3, -0.2], [0.1, 0.4]])]);
  out.gradcheckOk = report.ok ? 1 : 0;

  // Small and 512² matmuls (the large one on the worker threads where there are any).
  out.smallMatmul = Array.from(matmul(matrix(3, 4, 1), matrix(4, 2, 2)).data);
  const big1 = matrix(512, 512, 3);
  const big2 = matrix(512, 512, 5);
  const big = matmul(big1, big2);
  out.bigMatmulChecksum = checksum(big);
  // Median of 15, with the default threads and with one thread, interleaved (in alternating order) so
  // that load hits both alike; the speed-up is the median of the 15 adjacent pairs' ratios.
  const times = { all: [], one: [] };
  for (let rep = 0; rep < 15; rep++) {
    for (const mode of rep % 2 === 0 ? ['all', 'one'] : ['one', 'all']) {
      await ready({ threads: mode === 'one' ? 1 : 0 });
      const t0 = performance.now();
      matmul(big1, big2);
      times[mode].push(performance.now() - t0);
    }
  }
  await ready({ threads: 0 });
  const median = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
  const ms = median(times.all);
  const msOne = median(times.one);
  const speedUp = median(times.one.map((t, i) => t / times.all[i]));

  // A shipped data set, and a few MLP training steps on it.
  const ds = await loadDataset('breastCancer');
  out.datasetShape = [...ds.x.shape];
  out.datasetChecksum = checksum(ds.x);
  const split = trainTestSplit(ds.x, ds.y, { testSize: 0.2, seed: 1 });
  const { xTrain } = standardize(split.xTrain, split.xTest);
  const model = new MLP({ sizes: [30, 16, 1], activation: 'tanh', seed: 1 });
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  out.losses = [];
  for (let step = 0; step < 5; step++) {
    opt.zeroGrad();
    const loss = model.loss(xTrain, split.yTrain);
    loss.backward();
    opt.step();
    out.losses.push(loss.item());
  }

  const final = backendInfo();
  return {
    results: out,
    backend: { wasm: final.wasm, fma: final.fma, threads: final.threads, runtime: final.runtime, readyThreads: info.threads, notices: final.notices },
    matmul512: { ms, gflops: (2 * 512 ** 3) / (ms * 1e6), gflopsOneThread: (2 * 512 ** 3) / (msOne * 1e6), speedUp },
  };
}
