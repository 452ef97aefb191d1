/**
 * jax-js peers of the model workloads, float32 or float64, eager or under
 * `jit` (the whole step, update included, as in W1): W5 with `lax.conv`
 * (NCHW/OIHW, `SAME` padding) and the 2×2 max-pool as a max over a reshape,
 * W6 with a one-hot matmul for the embedding and attention written with
 * `np.matmul` (`nn.dotProductAttention` goes through `einsum`, whose parser
 * needs iterator helpers Node 20 lacks). jax-js consumes every argument; `.ref` keeps an array alive for
 * one more use.
 */
import type * as JaxModule from '@jax-js/jax';
import type { Workload } from '../harness.js';
import { BenchError } from '../harness.js';
import { LN_EPS, type W5Data, type W6Data } from '../models.js';
import { allowFloat64, FLOAT64_TOLERANCE, jaxEngineName, loadJax, type JaxVariant } from './jax.js';

type Jax = typeof JaxModule;
type JArray = JaxModule.numpy.Array;
type Loss = (p: JArray[], x: JArray, y: JArray) => JArray;

function oneHot(labels: Int32Array, classes: number): Float64Array {
  const out = new Float64Array(labels.length * classes);
  labels.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}

/** A workload whose step is `valueAndGrad` of the loss and an SGD update, jitted or not. */
function sgdWorkload(
  id: string,
  v: JaxVariant,
  lr: number,
  inputs: { x: Float64Array; xShape: number[]; y: Float64Array; yShape: number[]; params: readonly { shape: readonly number[]; data: Float64Array }[] },
  makeLoss: (jax: Jax) => Loss,
): Workload {
  let params: JArray[] = [];
  let x: JArray | undefined;
  let y: JArray | undefined;
  let runStep: ((p: JArray[], x: JArray, y: JArray) => [JArray, JArray[]]) | undefined;
  let disposeStep: (() => void) | undefined;
  return {
    id,
    engine: jaxEngineName(v),
    dtype: v.dtype,
    ...(v.dtype === 'float64' ? { tolerance: FLOAT64_TOLERANCE } : {}),
    setup: async () => {
      const jax = await loadJax();
      if (v.dtype === 'float64') allowFloat64();
      const arr = (data: Float64Array, shape: readonly number[]): JArray =>
        jax.numpy.array(v.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data)).reshape([...shape]);
      const loss = makeLoss(jax);
      const step = (p: JArray[], input: JArray, target: JArray): [JArray, JArray[]] => {
        const [value, grads] = jax.valueAndGrad(loss)(p.map((a) => a.ref), input, target);
        return [value, p.map((a, i) => a.sub(grads[i]!.mul(lr)))];
      };
      if (v.isJit) {
        const compiled = jax.jit(step);
        runStep = compiled as unknown as typeof step;
        disposeStep = () => compiled.dispose();
      } else {
        runStep = step;
      }
      x = arr(inputs.x, inputs.xShape);
      y = arr(inputs.y, inputs.yShape);
      params = inputs.params.map((p) => arr(p.data, p.shape));
    },
    step: () => {
      if (!runStep || !x || !y) throw new BenchError(`jax-js ${id}: step before setup`);
      const [value, next] = runStep(params, x.ref, y.ref);
      params = next;
      return value.item();
    },
    dispose: () => {
      for (const p of params) p.dispose();
      params = [];
      x?.dispose();
      y?.dispose();
      disposeStep?.();
    },
  };
}

/** Mean cross-entropy of logits `[m, k]` against one-hot targets `[m, k]`. */
function crossEntropy(jax: Jax, logits: JArray, y: JArray): JArray {
  const { numpy: np, nn } = jax;
  return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).neg();
}

/**
 * W5 on jax-js.
 *
 * @param v - dtype and jit
 * @param data - W5's inputs
 * @returns the workload
 */
export function jaxW5(v: JaxVariant, data: W5Data): Workload {
  const { batch: n, classes } = data.cfg;
  const [c1, c2] = data.cfg.channels;
  const inputs = { x: data.x, xShape: [n, 1, 8, 8], y: oneHot(data.labels, classes), yShape: [n, classes], params: data.params };
  return sgdWorkload('W5', v, data.cfg.lr, inputs, (jax) => (p, x, y) => {
    const { numpy: np, nn, lax } = jax;
    const [k1, b1, k2, b2, w, b] = p as [JArray, JArray, JArray, JArray, JArray, JArray];
    const h1 = nn.relu(lax.conv(x, k1, [1, 1], 'SAME').add(b1.reshape([1, c1, 1, 1])));
    const p1 = np.max(h1.reshape([n, c1, 4, 2, 4, 2]), [3, 5]);
    const h2 = nn.relu(lax.conv(p1, k2, [1, 1], 'SAME').add(b2.reshape([1, c2, 1, 1])));
    const logits = np.matmul(np.mean(h2, [2, 3]), w.transpose()).add(b);
    return crossEntropy(jax, logits, y);
  });
}

/**
 * W6 on jax-js.
 *
 * @param v - dtype and jit
 * @param data - W6's inputs
 * @returns the workload
 */
export function jaxW6(v: JaxVariant, data: W6Data): Workload {
  const { batch, context: t, width: d, heads, vocab } = data.cfg;
  const dh = d / heads;
  const m = batch * t;
  const inputs = { x: oneHot(data.tokens, vocab), xShape: [m, vocab], y: oneHot(data.targets, vocab), yShape: [m, vocab], params: data.params };
  const names = data.params.map((p) => p.name);
  // Additive causal mask: 0 on and below the diagonal, −1e9 above (exp underflows to exactly 0).
  const maskData = new Float64Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) maskData[i * t + j] = -1e9;
  return sgdWorkload('W6', v, data.cfg.lr, inputs, (jax) => (p, x, y) => {
    const { numpy: np, nn } = jax;
    const mask = (): JArray => np.array(v.dtype === 'float64' ? maskData : Float32Array.from(maskData)).reshape([t, t]);
    const P = (name: string): JArray => p[names.indexOf(name)]!;
    const layerNorm = (h: JArray, name: string): JArray => {
      const c = h.ref.sub(np.mean(h, -1, { keepdims: true }));
      const variance = np.mean(c.ref.mul(c.ref), -1, { keepdims: true });
      return c.div(np.sqrt(variance.add(LN_EPS))).mul(P(`${name}.weight`)).add(P(`${name}.bias`));
    };
    const dense = (h: JArray, name: string): JArray => np.matmul(h, P(`${name}.weight`).transpose()).add(P(`${name}.bias`));
    let h = np.matmul(x, P('tok')).reshape([batch, t, d]).add(P('pos'));
    const a = layerNorm(h.ref, 'ln1');
    // [b, t, d] → [b, heads, t, dh]
    const split = (z: JArray): JArray => z.reshape([batch, t, heads, dh]).transpose([0, 2, 1, 3]);
    const q = split(dense(a.ref, 'q'));
    const k = split(dense(a.ref, 'k'));
    const val = split(dense(a, 'v'));
    const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(dh)).add(mask());
    const att = np.matmul(nn.softmax(scores, -1), val).transpose([0, 2, 1, 3]).reshape([batch, t, d]);
    h = h.add(dense(att, 'o'));
    h = h.ref.add(dense(nn.relu(dense(layerNorm(h, 'ln2'), 'fc1')), 'fc2'));
    const logits = dense(layerNorm(h, 'lnf'), 'head').reshape([m, vocab]);
    return crossEntropy(jax, logits, y);
  });
}
