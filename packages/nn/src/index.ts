/**
 * `@tapegrad/nn`: modules, layers, initializers, losses, optimizers, data loading, and the hand-derived
 * fast path of dense networks with its gradient-agreement check.
 * @packageDocumentation
 */
export { Module, type NonFiniteName, type StateDict, type TensorState } from './module.ts';
export { Activation, Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh, type ActivationName, type LinearOptions } from './layers.ts';
export { AvgPool2d, Conv2d, MaxPool2d, type Conv2dOptions, type Pool2dOptions, type Size2 } from './conv.ts';
export { LayerNorm, type LayerNormOptions } from './layer-norm.ts';
export { BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batch-norm.ts';
export { Dropout, Embedding, type InitLayerOptions } from './embedding.ts';
export { MultiheadAttention, TransformerBlock, type AttendOptions, type MultiheadAttentionOptions, type TransformerBlockOptions } from './attention.ts';
export { clipGradNorm, CosineAnnealingLR, LinearWarmup, LRScheduler, StepLR, type CosineOptions, type StepLROptions, type WarmupOptions } from './schedules.ts';
export { loadWords, sampleWords, WORD_ALPHABET, wordWindows, type SampleWordsOptions, type WordWindows } from './words.ts';
export { MLP, outputLoss, type ForwardTrace, type MLPOptions, type OutputName } from './mlp.ts';
export { heNormal, heUniform, linearDefault, uniform, xavierNormal, xavierUniform, type InitName, type InitOptions } from './init.ts';
export { binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, mseLoss, type LossOptions, type Reduction } from './losses.ts';
export { logSoftmax, relu, sigmoid, softmax, tanh } from '@tapegrad/core';
export { Adam, AdamW, Optimizer, SGD, type AdamOptions, type SGDOptions } from './optim.ts';
export {
  accuracy, confusionMatrix, DataLoader, datasetFromTable, fitStandardizer, loadDataset, parseCsv, standardize, trainTestSplit,
  type Batch, type CsvOptions, type CsvTable, type DataLoaderOptions, type Dataset, type DatasetName, type Split, type SplitOptions,
  type Standardizer,
} from './data.ts';
export { fastForward, fastGrad, fastLoss, fastStep, type FastPass } from './fast-path.ts';
export { AGREEMENT_TOLERANCE, compareGradients, type CompareOptions, type Difference, type GradientAgreement, type ParameterAgreement } from './agreement.ts';
export {
  autogradTrainStep, compiledTrainStep, evaluate, fastTrainStep, fit, type Engine, type EpochInfo, type FitData, type FitHistory, type FitOptions, type StepResult,
  type Trainable, type TrainStep,
} from './fit.ts';
