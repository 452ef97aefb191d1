/**
 * Times (and, under `node --cpu-prof`, profiles) the W1 training step on tapegrad alone: the generic
 * engine in float64 and float32 and the fast path in both dtypes, with the bench's data and the same
 * step as `packages/bench` (peers/tapegrad.ts). Medians of interleaved reps, so the rows see the same load;
 * the process's CPU time per step (all threads, gemm workers included) is printed too, as it varies less
 * than wall time on a loaded machine.
 *
 *     tsx --conditions=source scripts/profile-w1.ts [--size small|big] [--rows generic64,fast32] [--reps 9] [--steps 40] [--threads 1] [--ballast 200]
 *     node --cpu-prof --cpu-prof-dir=scratch/prof --conditions=source --import tsx scripts/profile-w1.ts --rows generic64 --reps 30
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { mutate, noGrad, tensor, type Tensor } from '@tapegrad/core';
import { fastGrad, MLP } from '@tapegrad/nn';
import { loadConfig, makeW1Data, median, type W1Data } from '@tapegrad/bench';
import { setGemmThreads } from '../packages/core/src/kernels/gemm.ts';

type Dtype = 'float64' | 'float32';

function sgd(params: readonly Tensor[], lr: number): void {
  noGrad(() => {
    for (const p of params) {
      const g = p.grad!.data;
      mutate(p, (d) => {
        for (let i = 0; i < d.length; i++) d[i] = d[i]! - lr * g[i]!;
      });
      p.grad = null;
    }
  });
}

function generic(data: W1Data, dtype: Dtype): () => number {
  const { batch, lr } = data.size;
  const x = tensor(data.x, { shape: [batch, data.size.in], dtype });
  const y = tensor(data.y, { shape: [batch, 1], dtype });
  const layers = data.layers.map((l) => ({
    w: tensor(l.w, { shape: [l.out, l.in], dtype, requiresGrad: true }),
    b: tensor(l.b, { shape: [l.out], dtype, requiresGrad: true }),
  }));
  const params = layers.flatMap(({ w, b }) => [w, b]);
  return () => {
    let h = x;
    for (const { w, b } of layers) h = h.matmul(w, { transposeB: true }).add(b).sigmoid();
    const p = h;
    const logLik = y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log()));
    const loss = logLik.mean().neg();
    loss.backward();
    sgd(params, lr);
    return loss.item();
  };
}

function fast(data: W1Data, dtype: Dtype): () => number {
  const { batch, lr } = data.size;
  const sizes = [data.size.in, ...data.size.hidden, data.size.out];
  const net = new MLP({ sizes, activation: 'sigmoid', output: 'sigmoid', dtype });
  const params: Tensor[] = [];
  data.layers.forEach((l, i) => {
    const layer = net.layers[i]!;
    noGrad(() => {
      mutate(layer.weight, (d) => d.set(l.w));
      mutate(layer.bias!, (d) => d.set(l.b));
    });
    params.push(layer.weight, layer.bias!);
  });
  const x = tensor(data.x, { shape: [batch, data.size.in], dtype });
  const y = tensor(data.y, { shape: [batch, 1], dtype });
  return () => {
    const loss = fastGrad(net, x, y);
    sgd(params, lr);
    return loss;
  };
}

const ROWS: Record<string, (d: W1Data) => () => number> = {
  generic64: (d) => generic(d, 'float64'),
  generic32: (d) => generic(d, 'float32'),
  fast64: (d) => fast(d, 'float64'),
  fast32: (d) => fast(d, 'float32'),
};

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'small,big' },
    rows: { type: 'string', default: Object.keys(ROWS).join(',') },
    reps: { type: 'string', default: '9' },
    steps: { type: 'string' },
    threads: { type: 'string', default: '0' },
    ballast: { type: 'string', default: '0' },
  },
});
// Live JS objects (MB), as in a process that also holds other engines: full GCs then cost more.
const ballast = Array.from({ length: Number(values.ballast) * 1024 }, (_, i) => Array.from({ length: 16 }, (_, j) => ({ i, j })));
setGemmThreads(Number(values.threads));
const cfg = loadConfig();
const load0 = loadavg()[0]!;
for (const name of values.size!.split(',')) {
  const size = cfg.W1[name as 'small' | 'big'];
  const data = makeW1Data(cfg, name, size);
  const rows = values.rows!.split(',').map((r) => {
    const make = ROWS[r];
    if (make === undefined) throw new Error(`unknown row ${r}`);
    return { name: r, step: make(data), ms: [] as number[], cpu: [] as number[], first: NaN };
  });
  const steps = values.steps === undefined ? size.stepsPerRep : Number(values.steps);
  for (const row of rows) {
    row.first = row.step();
    for (let i = 0; i < size.warmupSteps; i++) row.step();
  }
  for (let r = 0; r < Number(values.reps); r++) {
    for (const row of rows) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) row.step();
      row.ms.push((performance.now() - t0) / steps);
      const c = process.cpuUsage(c0);
      row.cpu.push((c.user + c.system) / 1000 / steps);
    }
  }
  for (const row of rows) {
    const sorted = [...row.ms].sort((p, q) => p - q);
    console.log(
      `W1 ${name.padEnd(5)} ${row.name.padEnd(10)} ${median(row.ms).toFixed(3).padStart(8)} ms/step` +
        ` ${median(row.cpu).toFixed(3).padStart(8)} cpu-ms/step` +
        `  (min ${sorted[0]!.toFixed(3)}, max ${sorted.at(-1)!.toFixed(3)})  first loss ${row.first.toFixed(6)}`,
    );
  }
}
console.log(`load average ${load0.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}${ballast.length > 0 ? `, ballast ${values.ballast} × 16k objects` : ''}`);
