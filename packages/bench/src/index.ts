/**
 * Benchmark workloads of tapegrad and their comparison with other engines.
 * The runner is `main.ts`; these exports are for tests and for adding
 * implementations.
 */
export type { W1Size, W1SizeName, WorkloadsConfig } from './config.js';
export { loadConfig } from './config.js';
export { cpuProbeMs, describeProbe } from './cpu-probe.js';
export type {
  Dtype,
  LayerParams,
  TimingOptions,
  Timing,
  W1Data,
  W2Data,
  W3Data,
  Workload,
  WorkloadKind,
} from './harness.js';
export {
  BenchError,
  defaultTolerance,
  makeMoons,
  makeW1Data,
  makeW2Data,
  makeW3Data,
  median,
  relErr,
  timeSteps,
} from './harness.js';
export type { Rng } from './rng.js';
export { createRng } from './rng.js';
export type { ReferenceW1 } from './reference-w1.js';
export { createReferenceW1, referenceW1Losses } from './reference-w1.js';
export type { RefMlp, RefNeuron } from './micrograd-ref.js';
export { RefValue, createRefMlp, refMlpForward, sumValues, takeRecordedOps } from './micrograd-ref.js';
export { micrograd3, micrograd4 } from './peers/micrograd.js';
export { matmulReference } from './peers/reference.js';
export type { Implementation, ImplementationGroup } from './registry.js';
export { IMPLEMENTATIONS } from './registry.js';
export type { CaseResult, RowResult, RunOptions, Unit } from './run.js';
export { describeError, runBenchmarks } from './run.js';
export { findTorch, resetTorchProbe, torchW1, torchW2 } from './peers/torch.js';
