/**
 * tapegrad's generic engine on the model workloads, float64 or float32: the
 * forward pass written with `@tapegrad/core` ops, `backward()`, then in-place
 * SGD. W5 uses `conv2d`, `maxPool2d` and `crossEntropy`; W6 uses
 * `embedding`, `layerNorm`, `scaledDotProductAttention` (causal) and
 * `crossEntropy`.
 */
import type * as CoreModule from '@tapegrad/core';
import type { Dtype, Workload } from '../harness.js';
import { BenchError } from '../harness.js';
import { LN_EPS, type W5Data, type W6Data } from '../models.js';
import { loadCore, sgdInPlace, tapegradTensorName } from './tapegrad.js';

type Core = typeof CoreModule;
type Tensor = CoreModule.Tensor;

/** A workload whose step is `loss().backward()` and SGD on the parameters. */
function sgdWorkload(
  id: string,
  dtype: Dtype,
  lr: number,
  build: (core: Core) => { params: Tensor[]; loss: () => Tensor },
): Workload {
  let built: ReturnType<typeof build> | undefined;
  return {
    id,
    engine: tapegradTensorName(dtype),
    dtype,
    setup: async () => {
      built = build(await loadCore());
    },
    step: () => {
      if (!built) throw new BenchError(`tapegrad ${id}: step before setup`);
      const loss = built.loss();
      loss.backward();
      sgdInPlace(built.params, lr);
      return loss.item();
    },
  };
}

/**
 * W5 on the generic engine.
 *
 * @param dtype - float64 or float32
 * @param data - W5's inputs
 * @returns the workload
 */
export function tapegradW5(dtype: Dtype, data: W5Data): Workload {
  const { batch } = data.cfg;
  return sgdWorkload('W5', dtype, data.cfg.lr, (core) => {
    const { tensor, conv2d, maxPool2d, crossEntropy } = core;
    const params = data.params.map((p) => tensor(p.data, { shape: p.shape, dtype, requiresGrad: true }));
    const [k1, b1, k2, b2, w, b] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const x = tensor(data.x, { shape: [batch, 1, 8, 8], dtype });
    const labels = tensor(Float64Array.from(data.labels), { dtype });
    const loss = (): Tensor => {
      const h1 = conv2d(x, k1, b1, { padding: 1 }).relu();
      const h2 = conv2d(maxPool2d(h1, { kernelSize: 2 }), k2, b2, { padding: 1 }).relu();
      const logits = h2.mean([2, 3]).matmul(w, { transposeB: true }).add(b);
      return crossEntropy(logits, labels);
    };
    return { params, loss };
  });
}

/**
 * W6 on the generic engine.
 *
 * @param dtype - float64 or float32
 * @param data - W6's inputs
 * @returns the workload
 */
export function tapegradW6(dtype: Dtype, data: W6Data): Workload {
  const { batch, context: t, width: d, heads } = data.cfg;
  const dh = d / heads;
  return sgdWorkload('W6', dtype, data.cfg.lr, (core) => {
    const { tensor, embedding, layerNorm, scaledDotProductAttention, crossEntropy } = core;
    const params = data.params.map((p) => tensor(p.data, { shape: p.shape, dtype, requiresGrad: true }));
    const byName = new Map(data.params.map((p, i) => [p.name, params[i]!]));
    const P = (name: string): Tensor => byName.get(name)!;
    const tokens = tensor(Float64Array.from(data.tokens), { shape: [batch, t] });
    const targets = tensor(Float64Array.from(data.targets), { dtype });
    const dense = (h: Tensor, name: string): Tensor => h.matmul(P(`${name}.weight`), { transposeB: true }).add(P(`${name}.bias`));
    const norm = (h: Tensor, name: string): Tensor => layerNorm(h, [d], P(`${name}.weight`), P(`${name}.bias`), { eps: LN_EPS });
    // [b, t, d] → [b, heads, t, dh] and back
    const split = (z: Tensor): Tensor => z.reshape([batch, t, heads, dh]).transpose([0, 2, 1, 3]);
    const loss = (): Tensor => {
      let h = embedding(tokens, P('tok')).add(P('pos'));
      const a = norm(h, 'ln1');
      const att = scaledDotProductAttention(split(dense(a, 'q')), split(dense(a, 'k')), split(dense(a, 'v')), { causal: true });
      h = h.add(dense(att.transpose([0, 2, 1, 3]).reshape([batch, t, d]), 'o'));
      h = h.add(dense(dense(norm(h, 'ln2'), 'fc1').relu(), 'fc2'));
      return crossEntropy(dense(norm(h, 'lnf'), 'head').reshape([batch * t, data.cfg.vocab]), targets);
    };
    return { params, loss };
  });
}
