/**
 * The losses are core ops (one op, one file, with their backward rules); nn re-exports them so a
 * network's code imports everything from one place. `MLP.loss` pairs each output with its loss:
 * sigmoid → `binaryCrossEntropyWithLogits` (on the logits, stable at any saturation), softmax →
 * `crossEntropy`, identity → `mseLoss`.
 */
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, mseLoss, type LossOptions, type Reduction } from '@tapegrad/core';
