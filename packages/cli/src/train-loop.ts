import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile, CompileError, crossEntropy, mutate, noGrad, Tensor } from '@tapegrad/core';
import type { EpochInfo, Module, Optimizer } from '@tapegrad/nn';
import type { Io } from './io.ts';

/** The median of some timings (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Rows `idx` of a tensor, as a new tensor. */
export function rows(t: Tensor, idx: ArrayLike<number>): Tensor {
  const width = t.size / t.shape[0]!;
  const out = t.dtype === 'float32' ? new Float32Array(idx.length * width) : new Float64Array(idx.length * width);
  for (let i = 0; i < idx.length; i++) out.set(t.data.subarray(idx[i]! * width, (idx[i]! + 1) * width), i * width);
  return Tensor.fromData(out, [idx.length, ...t.shape.slice(1)], t.dtype);
}

/** Arg-max of each row of `[m, k]` logits. */
export function argmaxRows(z: Tensor): Int32Array {
  const [m, k] = [z.shape[0]!, z.shape[1]!];
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (z.data[i * k + j]! > z.data[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** Mean cross-entropy and accuracy of a classifier on (x, labels), in eval mode, in chunks, nothing recorded. */
export function evaluateClassifier(model: Module, x: Tensor, labels: Tensor, chunk = 2048): { loss: number; accuracy: number } {
  const wasTraining = model.isTraining;
  model.eval();
  let lossSum = 0;
  let hits = 0;
  const m = x.shape[0]!;
  noGrad(() => {
    for (let s = 0; s < m; s += chunk) {
      const idx = Array.from({ length: Math.min(chunk, m - s) }, (_, i) => s + i);
      const z = model.forward(rows(x, idx));
      const y = rows(labels, idx);
      lossSum += crossEntropy(z, y).item() * idx.length;
      const p = argmaxRows(z);
      for (let i = 0; i < idx.length; i++) if (p[i] === y.data[i]) hits++;
    }
  });
  model.train(wasTraining);
  return { loss: lossSum / m, accuracy: hits / m };
}

/** What {@link trainClassifier} needs. */
export interface TrainSpec {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  /** The minibatches of one epoch. */
  readonly batches: (epoch: number) => Iterable<{ x: Tensor; y: Tensor }>;
  /** Held-out loss and accuracy after each epoch. */
  readonly evaluate: () => { loss: number; accuracy: number };
  /** Called after the optimizer step (a learning-rate schedule, say). */
  readonly afterStep?: () => void;
  readonly onEpoch?: (info: EpochInfo) => void;
  /** Compile the forward, loss and backward with core's `compile` (default false: eager autograd). */
  readonly compile?: boolean;
}

/** One training step on a minibatch: the loss before the update, and the predicted classes. */
type ClassifierStep = (x: Tensor, y: Tensor) => { readonly loss: number; readonly predicted: Int32Array };

/** Forward, cross-entropy and backward on the tape, then the optimizer. */
function eagerStep(model: Module, optimizer: Optimizer): ClassifierStep {
  return (x, y) => {
    optimizer.zeroGrad();
    const z = model.forward(x);
    const loss = crossEntropy(z, y);
    loss.backward();
    optimizer.step();
    return { loss: loss.item(), predicted: argmaxRows(z) };
  };
}

/** The same step with the forward, loss and backward compiled (traced once per batch shape); the optimizer runs after it. */
function compiledStep(model: Module, optimizer: Optimizer): ClassifierStep {
  const run = compile((x: Tensor, y: Tensor) => {
    const z = model.forward(x);
    const loss = crossEntropy(z, y);
    loss.backward();
    return { loss, z };
  });
  return (x, y) => {
    optimizer.zeroGrad();
    const { loss, z } = run(x, y);
    // Read before the next call, which overwrites the replay's outputs.
    const out = { loss: loss.item(), predicted: argmaxRows(z) };
    optimizer.step();
    return out;
  };
}

/** How {@link trainClassifier} trained: `'compiles'` (the compiled step), `'eager'` (not asked), or why compile refused. */
export type CompileStatus = string;

/**
 * Trains a classifier with cross-entropy on minibatches (autograd, then the optimizer), reporting the same
 * per-epoch metrics as `fit`: loss and accuracy over the epoch's batches (before each update), held-out loss and
 * accuracy after the epoch, and the training time. With `compile`, the step is compiled; a model whose step
 * `compile` refuses trains eagerly from the same start (its state is put back after the refused trace), and
 * the status says why.
 * @param spec The model, optimizer, batches and evaluation.
 * @returns The per-epoch metrics and how the step ran.
 */
export function trainClassifier(spec: TrainSpec): { readonly history: EpochInfo[]; readonly compile: CompileStatus } {
  const { model, optimizer, epochs } = spec;
  const history: EpochInfo[] = [];
  let step = spec.compile === true ? compiledStep(model, optimizer) : eagerStep(model, optimizer);
  let status: CompileStatus = spec.compile === true ? 'compiles' : 'eager';
  let isFirst = spec.compile === true;
  let elapsedMs = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const start = performance.now();
    let lossSum = 0;
    let hits = 0;
    let count = 0;
    for (const { x, y } of spec.batches(epoch)) {
      let r: ReturnType<ClassifierStep>;
      if (isFirst) {
        isFirst = false;
        const saved = model.stateDict();
        try {
          r = step(x, y);
        } catch (e) {
          if (!(e instanceof CompileError)) throw e;
          // The refused trace ran a training forward and backward: put the weights and statistics back.
          model.loadStateDict(saved);
          optimizer.zeroGrad();
          status = `not compiled: ${e.message.replace(/^compile: /, '').split(';')[0]}`;
          step = eagerStep(model, optimizer);
          r = step(x, y);
        }
      } else r = step(x, y);
      spec.afterStep?.();
      const m = x.shape[0]!;
      lossSum += r.loss * m;
      for (let i = 0; i < m; i++) if (r.predicted[i] === y.data[i]) hits++;
      count += m;
    }
    const ms = performance.now() - start;
    elapsedMs += ms;
    const test = spec.evaluate();
    const info: EpochInfo = { epoch, epochs, loss: lossSum / count, accuracy: hits / count, testLoss: test.loss, testAccuracy: test.accuracy, ms, elapsedMs };
    history.push(info);
    spec.onEpoch?.(info);
  }
  model.eval();
  return { history, compile: status };
}

/**
 * Times one epoch of the eager step and one of the compiled step on the same minibatches, from the model's
 * current state (put back after each, so the trained model is unchanged; the optimizer's moments move).
 * The compiled epoch is timed after a first untimed call of each batch shape, as its trained epochs are.
 * @param model The trained model.
 * @param optimizer Its optimizer.
 * @param batches One epoch's minibatches.
 * @returns Milliseconds of each epoch.
 */
export function eagerVsCompiledEpoch(model: Module, optimizer: Optimizer, batches: readonly { x: Tensor; y: Tensor }[]): { readonly eager: number; readonly compiled: number } {
  const saved = model.stateDict();
  const time = (step: ClassifierStep): number => {
    model.train();
    const t0 = performance.now();
    for (const { x, y } of batches) step(x, y);
    const ms = performance.now() - t0;
    model.loadStateDict(saved);
    return ms;
  };
  const compiled = compiledStep(model, optimizer);
  const shapes = new Set<string>();
  for (const { x, y } of batches) {
    const key = x.shape.join('x');
    if (shapes.has(key)) continue;
    shapes.add(key);
    compiled(x, y);
  }
  model.loadStateDict(saved);
  const eager = time(eagerStep(model, optimizer));
  const ms = time(compiled);
  optimizer.zeroGrad();
  model.eval();
  return { eager, compiled: ms };
}

/** One parameter tensor's autograd gradient against central differences. */
export interface NumericAgreement {
  readonly name: string;
  readonly shape: readonly number[];
  /** Elements compared (all, or an evenly spaced sample of large tensors). */
  readonly checked: number;
  /** max |autograd − numeric| / max |numeric| over the checked elements. */
  readonly relative: number;
}

/**
 * Autograd vs finite differences for every parameter of a model (float64, central differences with ε = 1e-6),
 * on a fixed batch, in eval mode (so dropout and batch statistics do not move between evaluations).
 * @param model The model.
 * @param lossOf The scalar loss of the model on the batch.
 * @param maxElements Elements checked per tensor at most (evenly spaced).
 * @returns One row per parameter.
 */
export function autogradVsNumeric(model: Module, lossOf: () => Tensor, maxElements = 24): NumericAgreement[] {
  const wasTraining = model.isTraining;
  model.eval();
  model.zeroGrad();
  lossOf().backward();
  const eps = 1e-6;
  const out = model.namedParameters().map(([name, p]) => {
    const g = p.grad!.data;
    const step = Math.max(1, Math.floor(p.size / maxElements));
    let diff = 0;
    let scale = 0;
    let checked = 0;
    for (let i = 0; i < p.size; i += step) {
      const v = p.data[i]!;
      const at = (x: number): number =>
        noGrad(() => {
          mutate(p, (d) => (d[i] = x));
          return lossOf().item();
        });
      const numeric = (at(v + eps) - at(v - eps)) / (2 * eps);
      noGrad(() => mutate(p, (d) => (d[i] = v)));
      diff = Math.max(diff, Math.abs(g[i]! - numeric));
      scale = Math.max(scale, Math.abs(numeric));
      checked++;
    }
    return { name, shape: [...p.shape], checked, relative: scale === 0 ? diff : diff / scale };
  });
  model.zeroGrad();
  model.train(wasTraining);
  return out;
}

/** Prints the autograd vs finite differences table. */
export function printNumericAgreement(io: Io, rowsOf: readonly NumericAgreement[], what: string): void {
  const sci = (x: number): string => (x === 0 ? '0' : x.toExponential(2));
  io.out(`Gradient agreement on the untrained network (${what}, float64; no fast path for this model, so autograd vs central differences):\n`);
  io.out('  relative difference = max|autograd − numeric| / max|numeric| over the checked elements\n\n');
  const head = `  ${'parameter'.padEnd(22)} ${'shape'.padEnd(15)} ${'checked'.padStart(7)} ${'autograd vs numeric'.padStart(20)}`;
  io.out(`${head}\n  ${'─'.repeat(head.length - 2)}\n`);
  for (const r of rowsOf) io.out(`  ${r.name.padEnd(22)} ${`[${r.shape.join(', ')}]`.padEnd(15)} ${String(r.checked).padStart(7)} ${sci(r.relative).padStart(20)}\n`);
  const worst = Math.max(...rowsOf.map((r) => r.relative));
  io.out(`  ${'max'.padEnd(46)} ${sci(worst).padStart(20)}  ${worst <= 1e-5 ? '≤ 1e-5 ✓' : '> 1e-5 ✗'}\n\n`);
}

/** Creates the output folder and returns the paths of a demo's two files. */
export function outFiles(outDir: string, stem: string): { lossSvg: string; report: string } {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  return { lossSvg: join(dir, `${stem}-loss.svg`), report: join(dir, `${stem}-report.json`) };
}

/** Writes a report as indented JSON. */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

