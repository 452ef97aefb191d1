// The op registry: a static list of every public op by its one name (wired into the methods by the package entry).
import { abs } from './abs.ts';
import { add } from './add.ts';
import { binaryCrossEntropy } from './binary-cross-entropy.ts';
import { binaryCrossEntropyWithLogits } from './binary-cross-entropy-with-logits.ts';
import { broadcastTo } from './broadcast-to.ts';
import { clamp } from './clamp.ts';
import { concat } from './concat.ts';
import { cos } from './cos.ts';
import { crossEntropy } from './cross-entropy.ts';
import type { ElementwiseOp, OpDef } from './define.ts';
import { div } from './div.ts';
import { eq } from './eq.ts';
import { exp } from './exp.ts';
import { ge } from './ge.ts';
import { gt } from './gt.ts';
import { le } from './le.ts';
import { log } from './log.ts';
import { log1p } from './log1p.ts';
import { logSoftmax } from './log-softmax.ts';
import { logsumexp } from './logsumexp.ts';
import { lt } from './lt.ts';
import { matmul } from './matmul.ts';
import { max } from './max.ts';
import { maximum } from './maximum.ts';
import { mean } from './mean.ts';
import { min } from './min.ts';
import { minimum } from './minimum.ts';
import { mseLoss } from './mse-loss.ts';
import { mul } from './mul.ts';
import { ne } from './ne.ts';
import { neg } from './neg.ts';
import { pow } from './pow.ts';
import { relu } from './relu.ts';
import { reshape } from './reshape.ts';
import { sigmoid } from './sigmoid.ts';
import { sign } from './sign.ts';
import { sin } from './sin.ts';
import { slice } from './slice.ts';
import { softmax } from './softmax.ts';
import { softplus } from './softplus.ts';
import { sqrt } from './sqrt.ts';
import { square } from './square.ts';
import { squeeze } from './squeeze.ts';
import { stack } from './stack.ts';
import { sub } from './sub.ts';
import { sum } from './sum.ts';
import { tanh } from './tanh.ts';
import { transpose } from './transpose.ts';
import { unsqueeze } from './unsqueeze.ts';
import { where } from './where.ts';
import { erf } from './erf.ts';
import { gelu } from './gelu.ts';
import { silu } from './silu.ts';
import { logSigmoid } from './log-sigmoid.ts';
import { leakyRelu } from './leaky-relu.ts';
import { elu } from './elu.ts';
import { gather } from './gather.ts';
import { scatterAdd } from './scatter-add.ts';
import { indexSelect } from './index-select.ts';
import { embedding } from './embedding.ts';
import { oneHot } from './one-hot.ts';
import { argmax } from './argmax.ts';
import { argmin } from './argmin.ts';
import { layerNorm } from './layer-norm.ts';
import { dropout } from './dropout.ts';
import { cumsum } from './cumsum.ts';
import { flip } from './flip.ts';
import { split } from './split.ts';
import { chunk } from './chunk.ts';
import { pad } from './pad.ts';
import { tile } from './tile.ts';
import { repeat } from './repeat.ts';
import { convTranspose2d } from './conv-transpose2d.ts';
import { einsum } from './einsum.ts';
import { unfold } from './unfold.ts';
import { fold } from './fold.ts';
import { conv2d } from './conv2d.ts';
import { conv1d } from './conv1d.ts';
import { maxPool2d } from './max-pool2d.ts';
import { avgPool2d } from './avg-pool2d.ts';
import { adaptiveAvgPool2d } from './adaptive-avg-pool2d.ts';
import { batchNorm } from './batch-norm.ts';
import { scaledDotProductAttention } from './scaled-dot-product-attention.ts';

export { abs, add, broadcastTo, cos, div, eq, exp, ge, gt, le, log, log1p, lt, matmul, maximum, mean, minimum, mul, ne, neg, pow };
export { relu, reshape, sigmoid, sign, sin, softplus, sqrt, square, sub, sum, tanh, transpose };
export type { MatmulOptions } from './matmul.ts';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, clamp, concat, crossEntropy, logSoftmax, logsumexp, max, min, mseLoss };
export { slice, softmax, squeeze, stack, unsqueeze, where };
export { erf, gelu, silu, logSigmoid, leakyRelu, elu, gather, scatterAdd, indexSelect, embedding, oneHot, argmax, argmin, layerNorm, dropout, cumsum, flip, split, chunk, pad, tile, repeat };
export type { ArgReduceOptions } from './argmax.ts';
export type { DropoutOptions } from './dropout.ts';
export type { EluOptions } from './elu.ts';
export type { EmbeddingOptions } from './embedding.ts';
export type { LayerNormOptions } from './layer-norm.ts';
export type { LeakyReluOptions } from './leaky-relu.ts';
export type { OneHotOptions } from './one-hot.ts';
export type { PadOptions } from './pad.ts';
export { unfold, fold, conv2d, conv1d, maxPool2d, avgPool2d, adaptiveAvgPool2d, batchNorm, scaledDotProductAttention };
export type { Size2, WindowOptions } from './unfold.ts';
export type { Conv2dOptions } from './conv2d.ts';
export type { Conv1dOptions } from './conv1d.ts';
export type { MaxPool2dOptions } from './max-pool2d.ts';
export type { AvgPool2dOptions } from './avg-pool2d.ts';
export type { BatchNormOptions } from './batch-norm.ts';
export type { AttentionOptions } from './scaled-dot-product-attention.ts';
export { convTranspose2d, einsum };
export type { ConvTranspose2dOptions } from './conv-transpose2d.ts';
export type { LossOptions, Reduction } from './loss-reduction.ts';

/**
 * Every public op, by its one name. Elementwise ops carry their definition as `.op`; the others are
 * listed with the name their recorded nodes carry. Adding an op is one line here.
 * @internal
 */
export const OPS: Readonly<Record<string, (...args: never[]) => unknown>> = {
  abs, add, broadcastTo, cos, div, eq, exp, ge, gt, le, log, log1p, lt, matmul, maximum, mean, minimum, mul, ne, neg, pow,
  relu, reshape, sigmoid, sign, sin, softplus, sqrt, square, sub, sum, tanh, transpose,
  binaryCrossEntropy, binaryCrossEntropyWithLogits, clamp, concat, crossEntropy, logSoftmax, logsumexp, max, min, mseLoss,
  slice, softmax, squeeze, stack, unsqueeze, where,
  erf, gelu, silu, logSigmoid, leakyRelu, elu, gather, scatterAdd, indexSelect, embedding, oneHot, argmax, argmin, layerNorm, dropout, cumsum, flip, split, chunk, pad, tile, repeat,
  unfold, fold, conv2d, conv1d, maxPool2d, avgPool2d, adaptiveAvgPool2d, batchNorm, scaledDotProductAttention,
  convTranspose2d, einsum,
};

/** The elementwise ops (the ones both lanes share). @internal */
export const ELEMENTWISE: readonly ElementwiseOp[] = [
  add, sub, mul, div, pow, maximum, minimum, neg, exp, log, log1p, sqrt, abs, square, sigmoid, tanh, relu, softplus, sin, cos,
  sign, gt, ge, lt, le, eq, ne, erf, gelu, silu, logSigmoid,
].map((f) => f.op);

/** The op definitions by name (for tools such as the graph drawer). @internal */
export type { OpDef };
