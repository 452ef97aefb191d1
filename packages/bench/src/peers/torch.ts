/**
 * PyTorch as an optional peer (W1–W4), when a `python3` on this machine can `import torch` (Debian's
 * `python3-torch`). Each workload runs one Python process (`torch_peer.py`) that receives the same data
 * the other engines get, runs the check steps, then times its own steps, so no inter-process cost is
 * counted against PyTorch. Without PyTorch the rows say `skipped: no PyTorch`.
 *
 * PyTorch on Debian multiplies matrices with whatever `libblas.so.3` points to; on the reference BLAS a
 * 512² float64 product takes ~10× longer than on OpenBLAS (`libopenblas0-pthread`), which would flatter
 * every other engine, so the BLAS it mapped is reported with the results.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Dtype, Timing, TimingOptions, W1Data, W2Data, W3Data, Workload } from '../harness.js';
import { BenchError } from '../harness.js';

const SCRIPT = fileURLToPath(new URL('./torch_peer.py', import.meta.url));

/** What the Python side reports. */
interface TorchResult {
  readonly values: readonly number[];
  readonly repMs: readonly number[];
  readonly stepsPerRep: number;
  readonly output: readonly number[] | null;
  readonly blas: string;
  readonly torch: string;
  readonly threads: number;
}

/** The Python interpreter with PyTorch, probed once: `TAPEGRAD_PYTHON`, then `python3`, then `/usr/bin/python3`. */
let probed: { python: string; torch: string; blas: string } | null | undefined;

/**
 * Finds a Python that can import torch.
 *
 * @returns the interpreter, PyTorch's version and the BLAS it maps, or null when there is none
 */
export function findTorch(): { python: string; torch: string; blas: string } | null {
  if (probed !== undefined) return probed;
  // TAPEGRAD_PYTHON, when set, is the only interpreter tried.
  const chosen = process.env.TAPEGRAD_PYTHON;
  const candidates = chosen !== undefined && chosen !== '' ? [chosen] : ['python3', '/usr/bin/python3'];
  probed = null;
  for (const python of candidates) {
    const r = spawnSync(
      python,
      [
        '-c',
        'import sys, torch; sys.path.insert(0, sys.argv[1]); import torch_peer; ' +
          'torch.ones(2, 2) @ torch.ones(2, 2); print(torch.__version__); print(torch_peer.blas_in_use())',
        fileURLToPath(new URL('.', import.meta.url)),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status === 0) {
      const [version = '?', blas = '?'] = r.stdout.trim().split('\n');
      probed = { python, torch: version, blas };
      break;
    }
  }
  return probed;
}

/** Forgets the probe, so the next {@link findTorch} looks again (tests change TAPEGRAD_PYTHON). */
export function resetTorchProbe(): void {
  probed = undefined;
}

/** A row name, e.g. `PyTorch float64 1 thread`. */
export function torchName(dtype: Dtype, threads: number): string {
  return `PyTorch ${dtype} ${threads} thread${threads === 1 ? '' : 's'}`;
}

function runJob(kind: string, dtype: Dtype, threads: number, data: unknown, checkSteps: number, timing: TimingOptions): TorchResult {
  const found = findTorch();
  if (found === null) throw new BenchError('skipped: no PyTorch (no python3 here can import torch)');
  const threadEnv = String(threads);
  const r = spawnSync(found.python, [SCRIPT], {
    input: JSON.stringify({ kind, dtype, threads, data, checkSteps, timing }),
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    // OpenBLAS and OpenMP size their pools from the environment, before torch.set_num_threads runs.
    env: { ...process.env, OPENBLAS_NUM_THREADS: threadEnv, OMP_NUM_THREADS: threadEnv, MKL_NUM_THREADS: threadEnv },
  });
  if (r.status !== 0) {
    const last = (r.stderr || String(r.error ?? '')).trim().split('\n').pop() ?? '';
    throw new BenchError(`PyTorch ${kind} failed: ${last}`);
  }
  return JSON.parse(r.stdout) as TorchResult;
}

/**
 * A workload run by PyTorch: `setup` runs the Python job (check steps, then timed steps), `step` hands
 * back the check steps' results in order, and `selfTimed` the timing measured in Python.
 */
function torchWorkload(
  id: string,
  kind: string,
  dtype: Dtype,
  threads: number,
  data: () => unknown,
  checkSteps: number,
): Workload {
  let result: TorchResult | undefined;
  let next = 0;
  return {
    id,
    engine: torchName(dtype, threads),
    dtype,
    setup: (timing?: TimingOptions) => {
      if (timing === undefined) throw new BenchError('PyTorch: setup needs the timing options');
      result = runJob(kind, dtype, threads, data(), checkSteps, timing);
      next = 0;
    },
    step: () => {
      if (result === undefined) throw new BenchError('PyTorch: step before setup');
      const v = result.values[next];
      if (v === undefined) throw new BenchError(`PyTorch: only ${result.values.length} check steps were run`);
      next++;
      return v;
    },
    output: () => result?.output ?? [],
    selfTimed: (): Timing => {
      if (result === undefined) throw new BenchError('PyTorch: timing before setup');
      const sorted = [...result.repMs].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      return { medianMs, repMs: result.repMs, stepsPerRep: result.stepsPerRep, lastValue: result.values.at(-1) ?? NaN };
    },
  };
}

const plain = (a: Float64Array): number[] => Array.from(a);

/**
 * W1 on PyTorch.
 *
 * @param dtype - float64 or float32
 * @param threads - intra-op threads (and OpenBLAS threads)
 * @param data - W1's inputs
 * @param checkSteps - how many losses to compare before timing
 * @returns the workload
 */
export function torchW1(dtype: Dtype, threads: number, data: W1Data, checkSteps: number): Workload {
  return torchWorkload(
    `W1 ${data.name}`,
    'W1',
    dtype,
    threads,
    () => ({
      x: plain(data.x),
      y: plain(data.y),
      lr: data.size.lr,
      layers: data.layers.map((l) => ({ in: l.in, out: l.out, w: plain(l.w), b: plain(l.b) })),
    }),
    checkSteps,
  );
}

/**
 * W2 on PyTorch.
 *
 * @param dtype - float64 or float32
 * @param threads - intra-op threads
 * @param data - W2's inputs
 * @returns the workload
 */
export function torchW2(dtype: Dtype, threads: number, data: W2Data): Workload {
  return torchWorkload(`W2 n=${data.n}`, 'W2', dtype, threads, () => ({ n: data.n, a: plain(data.a), b: plain(data.b) }), 1);
}

/**
 * W3 on PyTorch (0-d tensors, op for op as the scalar engines run it).
 *
 * @param data - W3's inputs
 * @param checkSteps - how many losses to compare before timing
 * @returns the workload
 */
export function torchW3(data: W3Data, checkSteps: number): Workload {
  return torchWorkload(
    'W3',
    'W3',
    'float64',
    1,
    () => ({
      x: plain(data.x),
      y: plain(data.y),
      alpha: data.alpha,
      lr: data.lr,
      layers: data.layers.map((l) => ({ in: l.in, out: l.out, w: plain(l.w), b: plain(l.b) })),
    }),
    checkSteps,
  );
}

/**
 * W4 on PyTorch (a chain of 0-d tensor ops).
 *
 * @param n - chain length
 * @param mul - the multiplier
 * @param add - the addend
 * @param x0 - where to differentiate
 * @returns the workload
 */
export function torchW4(n: number, mul: number, add: number, x0: number): Workload {
  return torchWorkload(`W4 N=${n}`, 'W4', 'float64', 1, () => ({ n, mul, add, x0 }), 1);
}
