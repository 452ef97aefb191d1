/**
 * Runs the workloads over the registry: for each case, set up each
 * implementation, check its numbers against the float64 reference, time it,
 * dispose it, and collect one row per implementation.
 */
import { spawnSync } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { W1SizeName, WorkloadsConfig } from './config.js';
import { cpuProbeMs } from './cpu-probe.js';
import type { Dtype, TimingOptions, W1Data, W3Data, Workload, WorkloadKind } from './harness.js';
import {
  BenchError,
  collectGarbage,
  defaultTolerance,
  makeW1Data,
  makeW2Data,
  makeW3Data,
  relErr,
  timeSteps,
} from './harness.js';
import { makeW5Data, makeW6Data, type W5Config, type W6Config } from './models.js';
import { micrograd3 } from './peers/micrograd.js';
import { tapegradW5, tapegradW6 } from './peers/tapegrad-models.js';
import type { Implementation } from './registry.js';
import { referenceW1Losses } from './reference-w1.js';

/** Unit of a case's headline figure. */
export type Unit = 'ms/step' | 'GFLOP/s' | 'ms';

/** One implementation's outcome on one case. */
export interface RowResult {
  readonly implementation: string;
  readonly dtype: Dtype;
  /** Median time per step in ms (absent when it failed). */
  readonly medianMs?: number;
  /** Time per step of each timed rep, in ms (the spread shows how noisy the machine was). */
  readonly repMs?: readonly number[];
  /** The headline figure in the case's unit. */
  readonly value?: number;
  readonly opsPerStep?: number;
  readonly opsPerSecond?: number;
  /** What the correctness check found, e.g. `losses agree (max rel err 2e-7)`. */
  readonly check?: string;
  readonly isCheckOk?: boolean;
  /** Why it could not run, e.g. `stack overflow`. */
  readonly error?: string;
  /** W4: the largest chain that still works, when a longer one failed. */
  readonly limitN?: number;
}

/** All rows of one case, e.g. `W2 n=512`. */
export interface CaseResult {
  readonly id: string;
  readonly workload: WorkloadKind;
  readonly unit: Unit;
  readonly isHigherBetter: boolean;
  readonly rows: readonly RowResult[];
  /** Lines printed under the table (W5, W6: which peer the targets are measured against, and the ratios). */
  readonly notes?: readonly string[];
}

/** What to run and how much. */
export interface RunOptions {
  readonly config: WorkloadsConfig;
  readonly implementations: readonly Implementation[];
  readonly only?: ReadonlySet<WorkloadKind>;
  /** Fewer reps and sizes; finishes in under a minute. */
  readonly isQuick: boolean;
  /** Progress messages (stderr in the CLI). */
  readonly log: (message: string) => void;
  /** Time each JavaScript engine's W3 in a fresh process (default true; tests turn it off). */
  readonly isolateW3?: boolean;
}

/**
 * Describes a failure in a few words; recursion depth errors become `stack overflow`.
 *
 * @param e - what was thrown
 * @returns a one-line reason
 */
export function describeError(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    // Name the recursing function: the first frame with a source file (skipping built-ins).
    const frame = /\n\s+at ([\w$.<>]+) \((?!<anonymous>)/.exec(e.stack ?? '');
    return frame?.[1] === undefined ? 'stack overflow' : `stack overflow (in ${frame[1]})`;
  }
  if (e instanceof Error) return `${e.name}: ${e.message.split('\n')[0] ?? ''}`;
  return String(e);
}

interface CheckOutcome {
  readonly message: string;
  readonly isOk: boolean;
}

/** Sets up, checks, times and disposes one workload. */
async function measureWorkload(
  w: Workload,
  timing: TimingOptions,
  check: (w: Workload) => CheckOutcome,
  flopsPerStep?: number,
): Promise<RowResult> {
  const base = { implementation: w.engine, dtype: w.dtype };
  try {
    await w.setup(timing);
    const outcome = check(w);
    const t = w.selfTimed ? w.selfTimed() : timeSteps(() => w.step(), timing);
    const opsPerStep = w.opsPerStep?.();
    return {
      ...base,
      medianMs: t.medianMs,
      repMs: t.repMs,
      value: flopsPerStep === undefined ? t.medianMs : flopsPerStep / (t.medianMs * 1e6),
      check: outcome.message,
      isCheckOk: outcome.isOk,
      ...(opsPerStep === undefined
        ? {}
        : { opsPerStep, opsPerSecond: opsPerStep / (t.medianMs / 1000) }),
    };
  } catch (e) {
    return { ...base, error: describeError(e) };
  } finally {
    try {
      w.dispose?.();
    } catch {
      // A failed setup can leave nothing to dispose; the row already says why.
    }
  }
}

/** Compares an engine's first losses with the reference ones. */
function checkLosses(w: Workload, want: readonly number[], what: string): CheckOutcome {
  const tol = w.tolerance?.rel ?? defaultTolerance(w.dtype);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const got = w.step();
    const err = relErr(got, want[i]!);
    if (!(err <= tol)) {
      return {
        message:
          `${what} DISAGREE at step ${i + 1}: got ${got}, want ${want[i]} ` +
          `(rel err ${err.toExponential(1)} > ${tol})`,
        isOk: false,
      };
    }
    worst = Math.max(worst, err);
  }
  const caveat = w.tolerance ? `, within ${w.tolerance.rel} only: ${w.tolerance.reason}` : '';
  return {
    message: `${what} agree (${want.length} steps, max rel err ${worst.toExponential(1)}${caveat})`,
    isOk: true,
  };
}

function w1Timing(cfg: WorkloadsConfig, name: W1SizeName, isQuick: boolean): TimingOptions {
  const s = cfg.W1[name];
  if (!isQuick) return { warmupSteps: s.warmupSteps, stepsPerRep: s.stepsPerRep, reps: s.reps };
  return name === 'small'
    ? { warmupSteps: 2, stepsPerRep: 4, reps: 3 }
    : { warmupSteps: 0, stepsPerRep: 1, reps: 2 };
}

async function runW1(opts: RunOptions): Promise<CaseResult[]> {
  const { config, isQuick } = opts;
  const results: CaseResult[] = [];
  // --quick drops the big size: its five checked steps alone take seconds per engine.
  const names: readonly W1SizeName[] = isQuick ? ['small'] : ['small', 'big'];
  for (const name of names) {
    const data: W1Data = makeW1Data(config, name, config.W1[name]);
    const want = referenceW1Losses(data, config.W1.checkSteps);
    opts.log(`W1 ${name}: reference losses ${want.map((l) => l.toFixed(6)).join(', ')}`);
    const rows: RowResult[] = [];
    for (const impl of opts.implementations) {
      if (!impl.w1) continue;
      opts.log(`W1 ${name}: ${impl.name}`);
      rows.push(
        await measureWorkload(impl.w1(data), w1Timing(config, name, isQuick), (w) =>
          checkLosses(w, want, 'losses'),
        ),
      );
    }
    results.push({ id: `W1 ${name}`, workload: 'W1', unit: 'ms/step', isHigherBetter: false, rows });
  }
  return results;
}

/** Checks sampled entries of C against exact float64 dot products. */
function checkProduct(w: Workload, a: Float64Array, b: Float64Array, n: number): CheckOutcome {
  w.step();
  const c = w.output?.();
  if (!c || c.length !== n * n) {
    return { message: `product has ${c?.length ?? 0} entries, want ${n * n}`, isOk: false };
  }
  // Error relative to Σ|aᵢₖ·bₖⱼ|, which bounds the rounding error of any summation order.
  const tol = w.dtype === 'float32' ? 1e-5 : 1e-13;
  let worst = 0;
  const samples = 64;
  for (let s = 0; s < samples; s++) {
    const i = (s * 7919) % n;
    const j = (s * 104729 + 13) % n;
    let dot = 0;
    let mag = 0;
    for (let k = 0; k < n; k++) {
      const p = a[i * n + k]! * b[k * n + j]!;
      dot += p;
      mag += Math.abs(p);
    }
    const err = Math.abs(c[i * n + j]! - dot) / mag;
    if (!(err <= tol)) {
      return {
        message: `product DISAGREES at [${i}, ${j}]: got ${c[i * n + j]}, want ${dot}`,
        isOk: false,
      };
    }
    worst = Math.max(worst, err);
  }
  return { message: `product agrees (${samples} entries, max err ${worst.toExponential(1)})`, isOk: true };
}

async function runW2(opts: RunOptions): Promise<CaseResult[]> {
  const { config, isQuick } = opts;
  const sizes = isQuick ? config.W2.sizes.filter((n) => n <= 256) : config.W2.sizes;
  const timing: TimingOptions = isQuick
    ? { warmupSteps: 1, stepsPerRep: 1, reps: 3, minRepSeconds: 0.05 }
    : {
        warmupSteps: config.W2.warmup,
        stepsPerRep: 1,
        reps: config.W2.reps,
        minRepSeconds: config.W2.minRepSeconds,
      };
  const results: CaseResult[] = [];
  for (const n of sizes) {
    const data = makeW2Data(config, n);
    const rows: RowResult[] = [];
    for (const impl of opts.implementations) {
      if (!impl.w2) continue;
      opts.log(`W2 n=${n}: ${impl.name}`);
      rows.push(
        await measureWorkload(
          impl.w2(data),
          timing,
          (w) => checkProduct(w, data.a, data.b, n),
          2 * n ** 3,
        ),
      );
    }
    results.push({ id: `W2 n=${n}`, workload: 'W2', unit: 'GFLOP/s', isHigherBetter: true, rows });
  }
  return results;
}

/** W3's timing: the config's, or fewer steps for --quick. */
function w3Timing(config: WorkloadsConfig, isQuick: boolean): TimingOptions {
  return isQuick
    ? { warmupSteps: 2, stepsPerRep: 2, reps: 3 }
    : { warmupSteps: config.W3.warmupSteps, stepsPerRep: config.W3.stepsPerRep, reps: config.W3.reps };
}

/**
 * Measures one implementation's W3 row in this process (checked against the reference losses `want`).
 *
 * @param impl - an implementation with a W3 workload
 * @param data - W3's inputs
 * @param config - the workloads configuration
 * @param isQuick - fewer steps
 * @param want - the micrograd-style engine's first losses
 * @returns the row
 */
export async function measureW3Row(
  impl: Implementation, data: W3Data, config: WorkloadsConfig, isQuick: boolean, want: readonly number[],
): Promise<RowResult> {
  if (!impl.w3) throw new BenchError(`${impl.name}: no W3 workload`);
  return measureWorkload(impl.w3(data), w3Timing(config, isQuick), (w) => checkLosses(w, want, 'losses'));
}

/**
 * Runs one W3 row in a fresh Node process (same flags as this one). W3 allocates a graph of ~60,000
 * scalar nodes per step, so its speed depends on the garbage collector's state: timed in one process
 * after W1, W2 and the other engines, the same engine measured 2–4× slower than alone (CPU time, load
 * 12: tapegrad Value 9.4 ms alone, 28.7 after the micrograd-style engine). A process per row gives every
 * engine the same start. Falls back to this process (and says so) when a child cannot be started.
 */
function measureW3Isolated(impl: Implementation, opts: RunOptions, want: readonly number[]): RowResult | undefined {
  const here = fileURLToPath(import.meta.url);
  const child = join(dirname(here), `w3-child${extname(here)}`);
  const r = spawnSync(process.execPath, [...process.execArgv, child, JSON.stringify({ name: impl.name, isQuick: opts.isQuick, want })], {
    encoding: 'utf8',
    env: { ...process.env, TAPEGRAD_BENCH_CHILD: '1' },
    maxBuffer: 1 << 24,
  });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || line === undefined || !line.startsWith('{')) {
    opts.log(`W3: ${impl.name}: could not run in its own process (${r.error?.message ?? (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`}); timing it in this one`);
    return undefined;
  }
  return JSON.parse(line) as RowResult;
}

async function runW3(opts: RunOptions): Promise<CaseResult[]> {
  const { config, isQuick } = opts;
  const data: W3Data = makeW3Data(config);
  const oracle = micrograd3(data);
  const want: number[] = [];
  for (let i = 0; i < config.W3.checkSteps; i++) want.push(oracle.step());
  opts.log(`W3: reference losses ${want.map((l) => l.toFixed(6)).join(', ')}`);
  // Engines that cannot count their recorded ops run the same program, so they get the oracle's count.
  const oracleOps = oracle.opsPerStep?.();
  const rows: RowResult[] = [];
  // The machine's own speed just before each row (see cpu-probe.ts): the rows run in separate processes
  // at different times, and a slow phase of the machine would otherwise pass for an engine's speed.
  const probes: { name: string; ms: number }[] = [];
  for (const impl of opts.implementations) {
    if (!impl.w3) continue;
    opts.log(`W3: ${impl.name}`);
    probes.push({ name: impl.name, ms: cpuProbeMs() });
    // The JavaScript engines each get a fresh process; the PyTorch rows already run in their own.
    const isolated = impl.group === 'peer' || opts.isolateW3 === false ? undefined : measureW3Isolated(impl, opts, want);
    const row = isolated ?? (await measureW3Row(impl, data, config, isQuick, want));
    const hasOwnCount = row.opsPerStep !== undefined;
    rows.push(
      hasOwnCount || row.medianMs === undefined || oracleOps === undefined
        ? row
        : { ...row, opsPerStep: oracleOps, opsPerSecond: oracleOps / (row.medianMs / 1000) },
    );
  }
  return [{ id: 'W3', workload: 'W3', unit: 'ms/step', isHigherBetter: false, rows, notes: [probeNote(probes)] }];
}

/** The W3 note on the CPU probe taken before each row, naming rows timed while the machine ran slower. */
function probeNote(probes: readonly { name: string; ms: number }[]): string {
  const fastest = Math.min(...probes.map((p) => p.ms));
  const slow = probes.filter((p) => p.ms > 1.4 * fastest).map((p) => `${p.name} (${(p.ms / fastest).toFixed(2)}×)`);
  return `CPU probe just before each row, ms: ${probes.map((p) => `${p.name} ${p.ms.toFixed(2)}`).join(', ')}` +
    (slow.length === 0 ? '; the machine ran at one speed.' : `; timed while the machine ran slower: ${slow.join(', ')}.`);
}

/** dy/dx of the W4 chain within the precision's accumulated rounding. */
function checkChain(got: number, n: number, mul: number, dtype: Dtype): CheckOutcome {
  // In float32 the true value itself overflows past ≈3.4e38 (N ≳ 887,000).
  const want = dtype === 'float32' ? Math.fround(mul ** n) : mul ** n;
  if (!Number.isFinite(want)) {
    return got === want
      ? { message: `dy/dx = ${got} (${mul}^N overflows ${dtype})`, isOk: true }
      : { message: `dy/dx DISAGREES: got ${got}, want ${want} (${mul}^N overflows ${dtype})`, isOk: false };
  }
  // Each of the N multiplications rounds once (and float32 also rounds `mul` itself).
  const tol = dtype === 'float32' ? 1e-6 + 3e-7 * n : 1e-13 + 4e-16 * n;
  const err = relErr(got, want);
  return err <= tol
    ? { message: `dy/dx = ${got.toPrecision(10)} = ${mul}^N (rel err ${err.toExponential(1)})`, isOk: true }
    : { message: `dy/dx DISAGREES: got ${got}, want ${want} (rel err ${err.toExponential(1)})`, isOk: false };
}

/** Runs one W4 chain once; returns the error text on failure. */
async function tryChain(impl: Implementation, n: number, cfg: WorkloadsConfig['W4']): Promise<string | undefined> {
  const w = impl.w4?.(n, cfg);
  if (!w) return 'no W4';
  try {
    await w.setup({ warmupSteps: 0, stepsPerRep: 1, reps: 1 });
    w.step();
    return undefined;
  } catch (e) {
    return describeError(e);
  } finally {
    try {
      w.dispose?.();
    } catch {
      // see measureWorkload
    }
  }
}

/** Bisects the largest working chain length in [good, bad). */
async function findLimit(impl: Implementation, good: number, bad: number, cfg: WorkloadsConfig['W4']): Promise<number> {
  let lo = good;
  let hi = bad;
  while (hi - lo > Math.max(1, Math.floor(lo / 100))) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await tryChain(impl, mid, cfg)) === undefined) lo = mid;
    else hi = mid;
  }
  return lo;
}

async function runW4(opts: RunOptions): Promise<CaseResult[]> {
  const { config, isQuick } = opts;
  const cfg = config.W4;
  const baseNs = isQuick ? cfg.Ns.filter((n) => n <= 10_000) : cfg.Ns;
  const extraN = 10_000_000;
  const Ns = isQuick ? baseNs : [...baseNs, extraN];
  const failedAt = new Map<string, { n: number; error: string; limitN?: number }>();
  const lastGood = new Map<string, number>();
  const results: CaseResult[] = [];
  for (const n of Ns) {
    const rows: RowResult[] = [];
    for (const impl of opts.implementations) {
      if (!impl.w4) continue;
      if (n === extraN && (impl.w4MaxN ?? 0) < extraN) continue;
      if (impl.w4MaxN !== undefined && n > impl.w4MaxN) continue;
      const base = { implementation: impl.name, dtype: impl.dtype };
      const earlier = failedAt.get(impl.name);
      if (earlier) {
        rows.push({
          ...base,
          error: `${earlier.error} (already at N=${earlier.n})`,
          ...(earlier.limitN === undefined ? {} : { limitN: earlier.limitN }),
        });
        continue;
      }
      opts.log(`W4 N=${n}: ${impl.name}`);
      const w = impl.w4(n, cfg);
      let row: RowResult;
      try {
        await w.setup({ warmupSteps: 0, stepsPerRep: 1, reps: isQuick ? 3 : 5 });
        // The garbage of the implementation before (a million-node tensor graph is gigabytes) must not be
        // collected on this one's time: W4 times a long first step on its own, outside timeSteps.
        collectGarbage();
        const t0 = performance.now();
        const first = w.step();
        const firstMs = performance.now() - t0;
        const outcome = checkChain(first, n, cfg.mul, w.dtype);
        const selfTimed = w.selfTimed?.();
        // The first step is the warm-up (JIT, and growing the engine's buffers to the chain's length).
        // Cheap chains are then timed as the median of a few steps; a long one is timed once more, and
        // one that took longer than the whole run can spare is reported as it was.
        const repeatBelowMs = isQuick ? 200 : 1000;
        const retimeBelowMs = isQuick ? 0 : 10_000;
        let medianMs: number;
        if (selfTimed !== undefined) {
          medianMs = selfTimed.medianMs;
        } else if (firstMs <= repeatBelowMs) {
          medianMs = timeSteps(() => w.step(), { warmupSteps: 0, stepsPerRep: 1, reps: isQuick ? 3 : 5 }).medianMs;
        } else if (firstMs <= retimeBelowMs) {
          collectGarbage();
          const t1 = performance.now();
          w.step();
          medianMs = performance.now() - t1;
        } else {
          medianMs = firstMs;
        }
        row = { ...base, medianMs, value: medianMs, check: outcome.message, isCheckOk: outcome.isOk };
        lastGood.set(impl.name, n);
      } catch (e) {
        row = { ...base, error: describeError(e) };
      } finally {
        try {
          w.dispose?.();
        } catch {
          // see measureWorkload
        }
      }
      const error = row.error;
      if (error !== undefined) {
        const good = lastGood.get(impl.name) ?? 1;
        let limitN: number | undefined;
        if (!isQuick) {
          opts.log(`W4 N=${n}: ${impl.name} failed (${error}); bisecting the limit`);
          limitN = await findLimit(impl, good, n, cfg);
          row = { ...row, limitN };
        }
        failedAt.set(impl.name, { n, error, ...(limitN === undefined ? {} : { limitN }) });
      }
      rows.push(row);
    }
    if (rows.length > 0) results.push({ id: `W4 N=${n}`, workload: 'W4', unit: 'ms', isHigherBetter: false, rows });
  }
  return results;
}

/**
 * W5 and W6: each engine's first `checkSteps` losses against tapegrad
 * float64's (computed on a fresh instance), then the timed steps.
 */
async function runModel(
  opts: RunOptions,
  kind: 'W5' | 'W6',
  cfg: W5Config | W6Config,
  reference: () => Workload,
  factory: (impl: Implementation) => Workload | undefined,
): Promise<CaseResult[]> {
  const ref = reference();
  await ref.setup();
  const want: number[] = [];
  for (let i = 0; i < cfg.checkSteps; i++) want.push(ref.step());
  ref.dispose?.();
  opts.log(`${kind}: reference losses (tapegrad float64) ${want.map((l) => l.toFixed(6)).join(', ')}`);
  const timing: TimingOptions = opts.isQuick
    ? { warmupSteps: 1, stepsPerRep: 1, reps: 3 }
    : { warmupSteps: cfg.warmupSteps, stepsPerRep: cfg.stepsPerRep, reps: cfg.reps };
  const rows: RowResult[] = [];
  for (const impl of opts.implementations) {
    const w = factory(impl);
    if (!w) continue;
    opts.log(`${kind}: ${impl.name}`);
    rows.push(await measureWorkload(w, timing, (x) => checkLosses(x, want, 'losses')));
  }
  return [{ id: kind, workload: kind, unit: 'ms/step', isHigherBetter: false, rows, notes: targetNotes(kind, rows) }];
}

/**
 * The targets of W5 and W6 (tapegrad float64 no slower than the peer, float32 at most half its time) as
 * time ratios. The peer is TF.js wasm, except for W5: TF.js wasm has no Conv2DBackpropFilter kernel
 * (conv2d's filter gradient), so it cannot train W5, which is measured against TF.js cpu instead.
 */
function targetNotes(kind: 'W5' | 'W6', rows: readonly RowResult[]): string[] {
  const peer = kind === 'W5' ? 'TF.js cpu' : 'TF.js wasm';
  const notes = kind === 'W5'
    ? ['W5 is measured against TF.js cpu (and jax-js): TF.js wasm has no Conv2DBackpropFilter kernel, so it cannot train W5 (its row fails).']
    : [];
  const ref = rows.find((r) => r.implementation === peer)?.medianMs;
  const ratios = (['float64', 'float32'] as const).flatMap((dtype) => {
    const ms = rows.find((r) => r.implementation === `tapegrad generic ${dtype}`)?.medianMs;
    const target = dtype === 'float64' ? 1 : 0.5;
    return ms === undefined || ref === undefined ? [] : [`${dtype} ${(ms / ref).toPrecision(2)}× (target ≤ ${target}×)`];
  });
  if (ratios.length > 0) notes.push(`tapegrad generic's time as a multiple of ${peer}'s: ${ratios.join(', ')}.`);
  return notes;
}

async function runW5(opts: RunOptions): Promise<CaseResult[]> {
  const data = makeW5Data(opts.config.seed, opts.config.W5);
  return runModel(opts, 'W5', opts.config.W5, () => tapegradW5('float64', data), (impl) => impl.w5?.(data));
}

async function runW6(opts: RunOptions): Promise<CaseResult[]> {
  const data = makeW6Data(opts.config.seed, opts.config.W6);
  return runModel(opts, 'W6', opts.config.W6, () => tapegradW6('float64', data), (impl) => impl.w6?.(data));
}

/**
 * Runs every selected workload over every implementation that has it.
 *
 * @param opts - configuration, registry, selection and progress sink
 * @returns one result per case, in W1…W6 order
 */
export async function runBenchmarks(opts: RunOptions): Promise<CaseResult[]> {
  const runners: [WorkloadKind, (o: RunOptions) => Promise<CaseResult[]>][] = [
    ['W1', runW1],
    ['W2', runW2],
    ['W3', runW3],
    ['W4', runW4],
    ['W5', runW5],
    ['W6', runW6],
  ];
  const results: CaseResult[] = [];
  for (const [kind, run] of runners) {
    if (opts.only && !opts.only.has(kind)) continue;
    results.push(...(await run(opts)));
  }
  return results;
}
