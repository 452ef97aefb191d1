/**
 * TensorFlow.js peers of the model workloads (float32): W5 with `tf.conv2d`
 * and `tf.maxPool` in NHWC (TF.js's native layout: the images and kernels are
 * transposed once in `setup`), W6 with a one-hot matmul for the embedding,
 * batched `tf.matMul` and `tf.logSoftmax`. Gradients come from `tf.variableGrads`, the update is SGD
 * by `assign`, as in W1.
 */
import type * as TfModule from '@tensorflow/tfjs';
import type { Workload } from '../harness.js';
import { BenchError } from '../harness.js';
import { LN_EPS, type ParamData, type W5Data, type W6Data } from '../models.js';
import { useTfBackend, type TfBackend } from './tfjs.js';

type Tf = typeof TfModule;
type Tensor = TfModule.Tensor;

/** OIHW → HWIO, the layout of TF.js conv filters. */
function toHwio(p: ParamData): Float32Array {
  const [o, i, h, w] = p.shape as [number, number, number, number];
  const out = new Float32Array(p.data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = p.data[((a * i + b) * h + y) * w + x]!;
  return out;
}

/** A workload whose step is `variableGrads` of `loss` followed by SGD on every variable. */
function sgdWorkload(
  id: string,
  backend: TfBackend,
  lr: number,
  build: (tf: Tf) => { vars: TfModule.Variable[]; consts: Tensor[]; loss: () => TfModule.Scalar },
): Workload {
  let tf: Tf | undefined;
  let built: ReturnType<typeof build> | undefined;
  return {
    id,
    engine: `TF.js ${backend}`,
    dtype: 'float32',
    setup: async () => {
      tf = await useTfBackend(backend);
      built = build(tf);
    },
    step: () => {
      if (!tf || !built) throw new BenchError(`TF.js ${id}: step before setup`);
      const t = tf;
      const { vars, loss } = built;
      const value = t.tidy(() => {
        const { value: l, grads } = t.variableGrads(loss, vars);
        for (const v of vars) {
          const g = grads[v.name];
          if (!g) throw new BenchError(`TF.js ${id}: no gradient for ${v.name}`);
          v.assign(v.sub(g.mul(lr)));
        }
        return l;
      });
      const out = value.dataSync()[0]!;
      value.dispose();
      return out;
    },
    dispose: () => {
      for (const t of [...(built?.vars ?? []), ...(built?.consts ?? [])]) t.dispose();
      built = undefined;
    },
  };
}

/**
 * W5 on TF.js.
 *
 * @param backend - `cpu` or `wasm`
 * @param data - W5's inputs
 * @returns the workload
 */
export function tfjsW5(backend: TfBackend, data: W5Data): Workload {
  const { batch, classes } = data.cfg;
  return sgdWorkload('W5', backend, data.cfg.lr, (tf) => {
    const [c1w, c1b, c2w, c2b, fcw, fcb] = data.params as [ParamData, ParamData, ParamData, ParamData, ParamData, ParamData];
    // NCHW with one channel is NHWC with the channel last: the same numbers.
    const x = tf.tensor4d(Float32Array.from(data.x), [batch, 8, 8, 1]);
    const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), classes);
    const k1 = tf.variable(tf.tensor4d(toHwio(c1w), [3, 3, 1, c1w.shape[0]!]));
    const b1 = tf.variable(tf.tensor1d(Float32Array.from(c1b.data)));
    const k2 = tf.variable(tf.tensor4d(toHwio(c2w), [3, 3, c2w.shape[1]!, c2w.shape[0]!]));
    const b2 = tf.variable(tf.tensor1d(Float32Array.from(c2b.data)));
    const w = tf.variable(tf.tensor2d(Float32Array.from(fcw.data), fcw.shape as [number, number]));
    const b = tf.variable(tf.tensor1d(Float32Array.from(fcb.data)));
    const loss = (): TfModule.Scalar => {
      const h1 = tf.relu(tf.conv2d(x, k1, 1, 'same').add(b1)) as TfModule.Tensor4D;
      const p1 = tf.maxPool(h1, 2, 2, 'valid');
      const h2 = tf.relu(tf.conv2d(p1, k2, 1, 'same').add(b2));
      const g = tf.mean(h2, [1, 2]) as TfModule.Tensor2D;
      const logits = tf.matMul(g, w, false, true).add(b);
      return tf.neg(tf.mean(tf.sum(tf.logSoftmax(logits).mul(y), 1))).asScalar();
    };
    return { vars: [k1, b1, k2, b2, w, b], consts: [x, y], loss };
  });
}

/**
 * W6 on TF.js.
 *
 * @param backend - `cpu` or `wasm`
 * @param data - W6's inputs
 * @returns the workload
 */
export function tfjsW6(backend: TfBackend, data: W6Data): Workload {
  const { batch, context: t, width: d, heads, vocab } = data.cfg;
  const dh = d / heads;
  return sgdWorkload('W6', backend, data.cfg.lr, (tf) => {
    const vars = data.params.map((p) => tf.variable(tf.tensor(Float32Array.from(p.data), [...p.shape])));
    const byName = new Map(data.params.map((p, i) => [p.name, vars[i]!]));
    const P = (name: string): TfModule.Variable => byName.get(name)!;
    // The embedding is a one-hot matmul: the wasm backend has no kernel for gather's gradient (UnsortedSegmentSum).
    const tokens = tf.oneHot(tf.tensor1d(data.tokens, 'int32'), vocab).toFloat() as TfModule.Tensor2D;
    const y = tf.oneHot(tf.tensor1d(data.targets, 'int32'), vocab);
    // Additive causal mask: 0 on and below the diagonal, −1e9 above (exp underflows to exactly 0).
    const maskData = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) maskData[i * t + j] = -1e9;
    const mask = tf.tensor2d(maskData, [t, t]);
    const layerNorm = (h: Tensor, name: string): Tensor => {
      const { mean, variance } = tf.moments(h, -1, true);
      return h.sub(mean).div(tf.sqrt(variance.add(LN_EPS))).mul(P(`${name}.weight`)).add(P(`${name}.bias`));
    };
    const dense = (h: Tensor, name: string): Tensor => {
      const w = P(`${name}.weight`);
      const flat = h.reshape([-1, h.shape[h.shape.length - 1]!]) as TfModule.Tensor2D;
      const out = tf.matMul(flat, w, false, true).add(P(`${name}.bias`));
      return out.reshape([...h.shape.slice(0, -1), w.shape[0]!]);
    };
    const splitHeads = (h: Tensor): Tensor => h.reshape([batch, t, heads, dh]).transpose([0, 2, 1, 3]);
    const loss = (): TfModule.Scalar => {
      let h: Tensor = tf.matMul(tokens, P('tok')).reshape([batch, t, d]).add(P('pos'));
      const a = layerNorm(h, 'ln1');
      const q = splitHeads(dense(a, 'q')) as TfModule.Tensor4D;
      const k = splitHeads(dense(a, 'k')) as TfModule.Tensor4D;
      const v = splitHeads(dense(a, 'v')) as TfModule.Tensor4D;
      const scores = tf.matMul(q, k, false, true).div(Math.sqrt(dh)).add(mask);
      const att = tf.matMul(tf.softmax(scores), v).transpose([0, 2, 1, 3]).reshape([batch, t, d]);
      h = h.add(dense(att, 'o'));
      h = h.add(dense(tf.relu(dense(layerNorm(h, 'ln2'), 'fc1')), 'fc2'));
      const logits = dense(layerNorm(h, 'lnf'), 'head').reshape([batch * t, vocab]);
      return tf.neg(tf.mean(tf.sum(tf.logSoftmax(logits).mul(y), 1))).asScalar();
    };
    return { vars, consts: [tokens, y, mask], loss };
  });
}
