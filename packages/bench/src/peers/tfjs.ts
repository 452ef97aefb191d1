/**
 * TensorFlow.js peers (float32 only; TF.js has no float64): W1 with
 * `tf.variableGrads` and a hand-written SGD update, and W2 with `tf.matMul`,
 * on the pure-JS `cpu` backend or the `wasm` backend (XNNPACK).
 *
 * TF.js keeps one global backend, so each workload selects its backend in
 * `setup`; the runner sets up, runs and disposes one workload at a time.
 */
import type * as TfModule from '@tensorflow/tfjs';
import type { W1Data, W2Data, Workload } from '../harness.js';
import { BenchError } from '../harness.js';

/** The TF.js backends the bench compares. */
export type TfBackend = 'cpu' | 'wasm';

type Tf = typeof TfModule;

let tfModule: Promise<Tf> | undefined;

/**
 * Imports TF.js (and registers the wasm backend) once, then makes `backend`
 * the active one.
 *
 * @param backend - which backend to activate
 * @returns the TF.js namespace
 * @throws BenchError when the backend cannot be initialised
 */
export async function useTfBackend(backend: TfBackend): Promise<Tf> {
  tfModule ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    return tf;
  })();
  const tf = await tfModule;
  if (tf.getBackend() !== backend) {
    const isOk = await tf.setBackend(backend);
    if (!isOk) throw new BenchError(`TF.js: backend '${backend}' failed to initialise`);
  }
  await tf.ready();
  return tf;
}

/**
 * What the wasm backend found in this runtime (SIMD, threads).
 *
 * @returns a short description, e.g. `SIMD, 1 thread`
 */
export async function tfWasmFeatures(): Promise<string> {
  const tf = await useTfBackend('wasm');
  const hasSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const hasThreads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `${hasSimd ? 'SIMD' : 'no SIMD'}, ${hasThreads ? 'multi-threaded' : '1 thread'}`;
}

function engineName(backend: TfBackend): string {
  return `TF.js ${backend}`;
}

/**
 * W1 on TF.js: sigmoid layers, mean binary cross-entropy, gradients from
 * `tf.variableGrads`, SGD by `assign`.
 *
 * @param backend - `cpu` or `wasm`
 * @param data - W1's inputs
 * @returns the workload
 */
export function tfjsW1(backend: TfBackend, data: W1Data): Workload {
  let tf: Tf | undefined;
  let x: TfModule.Tensor2D | undefined;
  let y: TfModule.Tensor2D | undefined;
  let layers: { w: TfModule.Variable; b: TfModule.Variable }[] = [];
  const { batch, lr } = data.size;

  const loss = (t: Tf, input: TfModule.Tensor2D, target: TfModule.Tensor2D): TfModule.Scalar => {
    let h: TfModule.Tensor = input;
    for (const { w, b } of layers) h = t.sigmoid(t.matMul(h, w, false, true).add(b));
    const p = h;
    const logLik = target.mul(t.log(p)).add(t.sub(1, target).mul(t.log(t.sub(1, p))));
    return t.neg(t.mean(logLik)).asScalar();
  };

  return {
    id: `W1 ${data.name}`,
    engine: engineName(backend),
    dtype: 'float32',
    setup: async () => {
      const t = await useTfBackend(backend);
      tf = t;
      x = t.tensor2d(Float32Array.from(data.x), [batch, data.size.in]);
      y = t.tensor2d(Float32Array.from(data.y), [batch, 1]);
      layers = data.layers.map((l) => ({
        w: t.variable(t.tensor2d(Float32Array.from(l.w), [l.out, l.in])),
        b: t.variable(t.tensor1d(Float32Array.from(l.b))),
      }));
    },
    step: () => {
      if (!tf || !x || !y) throw new BenchError('TF.js W1: step before setup');
      const t = tf;
      const input = x;
      const target = y;
      const value = t.tidy(() => {
        const { value: l, grads } = t.variableGrads(() => loss(t, input, target));
        for (const { w, b } of layers) {
          for (const v of [w, b]) {
            const g = grads[v.name];
            if (!g) throw new BenchError(`TF.js W1: no gradient for ${v.name}`);
            v.assign(v.sub(g.mul(lr)));
          }
        }
        return l;
      });
      const out = value.dataSync()[0]!;
      value.dispose();
      return out;
    },
    dispose: () => {
      x?.dispose();
      y?.dispose();
      for (const { w, b } of layers) {
        w.dispose();
        b.dispose();
      }
      layers = [];
    },
  };
}

/**
 * W2 on TF.js: `C = A·B`, read back in full.
 *
 * @param backend - `cpu` or `wasm`
 * @param data - W2's inputs
 * @returns the workload; `step` returns C[0, 0]
 */
export function tfjsW2(backend: TfBackend, data: W2Data): Workload {
  let tf: Tf | undefined;
  let a: TfModule.Tensor2D | undefined;
  let b: TfModule.Tensor2D | undefined;
  let last: ArrayLike<number> = [];
  const { n } = data;
  return {
    id: `W2 n=${n}`,
    engine: engineName(backend),
    dtype: 'float32',
    setup: async () => {
      tf = await useTfBackend(backend);
      a = tf.tensor2d(Float32Array.from(data.a), [n, n]);
      b = tf.tensor2d(Float32Array.from(data.b), [n, n]);
    },
    step: () => {
      if (!tf || !a || !b) throw new BenchError('TF.js W2: step before setup');
      const c = tf.matMul(a, b);
      last = c.dataSync();
      c.dispose();
      return last[0]!;
    },
    output: () => last,
    dispose: () => {
      a?.dispose();
      b?.dispose();
    },
  };
}
