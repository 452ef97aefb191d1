/**
 * The benchmark runner:
 *
 *     tsx packages/bench/src/main.ts [--quick] [--json] [--only W1,W3] [--w3-in-process]
 *
 * Tables (or JSON) go to stdout, progress to stderr.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { cpuProbeMs } from './cpu-probe.js';
import { loadConfig } from './config.js';
import { findTorch } from './peers/torch.js';
import type { WorkloadKind } from './harness.js';
import { BenchError } from './harness.js';
import { tfWasmFeatures } from './peers/tfjs.js';
import { IMPLEMENTATIONS } from './registry.js';
import type { Environment } from './report.js';
import { formatReport, toJson } from './report.js';
import { describeError, runBenchmarks } from './run.js';

const KINDS: readonly WorkloadKind[] = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'];

function parseOnly(text: string | undefined): ReadonlySet<WorkloadKind> | undefined {
  if (text === undefined) return undefined;
  const kinds = new Set<WorkloadKind>();
  for (const part of text.split(',')) {
    const kind = KINDS.find((k) => k === part.trim().toUpperCase());
    if (!kind) throw new BenchError(`--only: expected a list of ${KINDS.join(', ')}, got '${part}'`);
    kinds.add(kind);
  }
  return kinds;
}

async function environment(
  only: ReadonlySet<WorkloadKind> | undefined,
  loadAtStart: number,
  probeAtStart: number,
): Promise<Environment> {
  const notes: string[] = [];
  const usesTf = !only || only.has('W1') || only.has('W2') || only.has('W5') || only.has('W6');
  if (usesTf) {
    try {
      notes.push(`TF.js wasm backend: ${await tfWasmFeatures()}.`);
    } catch (e) {
      notes.push(`TF.js wasm backend unavailable: ${describeError(e)}.`);
    }
  }
  notes.push(
    'jax-js: Wasm device only (init() probes WebGPU via `navigator`, absent in Node 20); ' +
      'single-threaded (no global `Worker` in Node 20).',
    'jax-js float64: Node 20 lacks `Float16Array`, which jax-js tests before `Float64Array` in ' +
      '`np.array`; the bench defines a placeholder global so float64 arrays can be created.',
    'jax-js float64 is float32-accurate in exp/log: its Wasm backend demotes float64 to float32 ' +
      'around every unary transcendental call, so W1 float64 losses match the float64 reference ' +
      'only as closely as float32 engines do.',
    'jax-js W4 with jit compiles a fresh function each step (recording the chain is the work measured).',
    'W4: every implementation starts from a collected heap; its first step is the warm-up. Chains whose first ' +
      'step took ≤ 1 s (--quick: 0.2 s) report the median of 5 (3) more; in a full run chains up to 10 s are ' +
      'timed once more; the rest report the first step.',
    'W5/W6: the reference losses are tapegrad generic float64\'s (its ops replay PyTorch float64 fixtures in the tests); ' +
      'TF.js wasm has no Conv2DBackpropFilter kernel, so it cannot train W5; TF.js and jax-js embed W6\'s tokens by ' +
      'a one-hot matmul (TF.js wasm lacks the gradient kernel of gather) and jax-js writes attention with matmul ' +
      '(nn.dotProductAttention needs iterator helpers Node 20 lacks).',
    'W3 ops/step of engines without an op counter is the micrograd-style engine\'s count for the same program.',
    'W3: each JavaScript engine is timed in a fresh Node process (a step allocates ~60,000 scalar nodes, so an engine ' +
      'timed after others runs in a heap they shaped: 2–4× slower in the same process).',
    'jax-js float64 jit: a JS number constant in a jitted function (W4\'s 1.0001) is rounded to ' +
      'float32 (1.00010001659…), so dy/dx drifts like float32; eager float64 is exact.',
  );
  const torch = findTorch();
  notes.push(
    torch === null
      ? 'PyTorch: skipped: no PyTorch (no python3 here can import torch; Debian: apt-get install python3-torch libopenblas0-pthread).'
      : `PyTorch ${torch.torch} (${torch.python}), BLAS: ${torch.blas}; each PyTorch row runs in its own Python process and times its own steps; W3/W4 on 0-d tensors, one thread, W4 up to N = 100,000.`,
  );
  for (const impl of IMPLEMENTATIONS) {
    if (impl.note !== undefined) notes.push(`${impl.name}: ${impl.note}.`);
  }
  const cpuList = cpus();
  return {
    node: process.versions.node,
    cpu: cpuList[0]?.model.trim() ?? 'unknown CPU',
    cores: cpuList.length,
    loadAverage: [loadAtStart, loadavg()[0] ?? 0],
    cpuProbeMs: [probeAtStart, cpuProbeMs()],
    notes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      'w3-in-process': { type: 'boolean', default: false },
    },
  });
  const only = parseOnly(values.only);
  const isQuick = values.quick === true;
  const config = loadConfig();
  const t0 = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const probeAtStart = cpuProbeMs();
  const results = await runBenchmarks({
    config,
    implementations: IMPLEMENTATIONS,
    only,
    isQuick,
    isolateW3: values['w3-in-process'] !== true,
    log: (message) => process.stderr.write(`[bench] ${message}\n`),
  });
  const env = await environment(only, loadAtStart, probeAtStart);
  process.stderr.write(`[bench] done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const out =
    values.json === true ? JSON.stringify(toJson(results, env, isQuick), null, 2) : formatReport(results, env);
  process.stdout.write(`${out}\n`);
}

/**
 * `@tapegrad/*` resolve to source only under the `source` export condition.
 * When the runner was started without it (plain `tsx main.ts`), it runs
 * itself again in a child process with `--conditions=source` added.
 *
 * @returns the child's exit code, or undefined when no restart is needed
 */
function rerunWithSourceCondition(): number | undefined {
  const flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  const hasSource = flags.some(
    (f, i) => f === '--conditions=source' || ((f === '--conditions' || f === '-C') && flags[i + 1] === 'source'),
  );
  if (hasSource || process.env['TAPEGRAD_BENCH_CHILD'] === '1') return undefined;
  const script = process.argv[1];
  if (script === undefined) return undefined;
  const args = [...process.execArgv, '--conditions=source', script, ...process.argv.slice(2)];
  const child = spawnSync(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, TAPEGRAD_BENCH_CHILD: '1' },
  });
  return child.status ?? 1;
}

const childStatus = rerunWithSourceCondition();
if (childStatus === undefined) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  process.exitCode = childStatus;
}
