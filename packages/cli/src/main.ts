#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TapegradError } from '@tapegrad/core';
import { AGREEMENT_TOLERANCE } from '@tapegrad/nn';
import { runCheck } from './check.ts';
import { resolve } from 'node:path';
import { DEMO_DEFAULTS, DemoWriteError, runDemo, type DemoOptions } from './demo.ts';
import { CNN_DEFAULTS, runCnnDemo } from './demo-cnn.ts';
import { runWordsDemo, WORDS_DEFAULTS } from './demo-words.ts';
import { checkWritableDir } from './files.ts';
import { processIo, type Io } from './io.ts';
import { runNeuron } from './neuron.ts';
import { DERIVE_HELP, DeriveUsageError, runDerive, runExplainSymbolic } from './symbolic.ts';
import { EXPLAIN_GRAPH_HELP, ExplainGraphUsageError, runExplain, runGraph } from './explain-graph.ts';
import { runVerify, VERIFY_HELP, VerifyUsageError } from './verify.ts';

const HELP = `tapegrad — reverse-mode autodiff in TypeScript

Usage:
  tapegrad demo [options]   train a dense network on a real data set, on the hand-derived fast path and
                            with the generic autograd engine, and check their gradients agree
  tapegrad check            gradient-check every op, then the fast path vs autograd vs finite differences
                            on random networks; prints a pass/fail table, exits 1 on any failure
  tapegrad neuron           the seed derivation on one scalar neuron: the tape recovers ∂L/∂z = ŷ − t
${EXPLAIN_GRAPH_HELP}${DERIVE_HELP}${VERIFY_HELP}  tapegrad help             this text (also --help, -h)

Demo options:
  --dataset <name>     breastCancer (default; sigmoid + binary cross-entropy), digits (softmax + cross-entropy)
                       or words (a character-level language model on an English word list)
  --model <name>       mlp (default), cnn (digits: a convolutional network, compared with the MLP)
                       or transformer (words: two causal transformer blocks instead of Bengio's MLP)
  --context <n>        words: characters of context (default 3 for mlp, 8 for transformer)
  --epochs <n>         training epochs (default ${DEMO_DEFAULTS.epochs})
  --seed <n>           seed of the split, the initial weights and the minibatch order (default ${DEMO_DEFAULTS.seed})
  --lr <x>             Adam learning rate (default ${DEMO_DEFAULTS.lr})
  --hidden <n,n,...>   hidden layer widths (default ${DEMO_DEFAULTS.hidden.join(',')})
  --activation <name>  hidden activation: relu (default), tanh or sigmoid
  --batch-size <n>     minibatch size (default ${DEMO_DEFAULTS.batchSize})
  --agreement-examples <n>  training examples in the gradient agreement check (default ${DEMO_DEFAULTS.agreementExamples})
  --out <dir>          where loss.svg and report.json go (default ./${DEMO_DEFAULTS.outDir})
  --json               print one JSON object (the report) instead of the tables and progress bar

Examples:
  pnpm demo
  pnpm demo --dataset digits --epochs 40 --hidden 64
  pnpm demo --dataset digits --model cnn
  pnpm demo --dataset words --model transformer
  tapegrad demo --json --epochs 5 | jq .agreement
  tapegrad verify docs/derivations/*.ts
`;

/** A command-line mistake: printed with the usage hint, exit code 2. */
class UsageError extends Error {}

/** A user's text quoted for a message: control characters (a lone `\r` from a file, say) are escaped. */
function quote(v: string): string {
  const s = JSON.stringify(v).slice(1, -1).replace(/\\"/g, '"');
  return `'${s}'`;
}

const DATASETS: ReadonlyMap<string, DemoOptions['dataset']> = new Map([
  ['breastcancer', 'breastCancer'],
  ['breast-cancer', 'breastCancer'],
  ['breast_cancer', 'breastCancer'],
  ['digits', 'digits'],
  ['words', 'words'],
]);

function parseDemoArgs(args: readonly string[], defaults: DemoOptions = DEMO_DEFAULTS): DemoOptions {
  const o: { -readonly [K in keyof DemoOptions]: DemoOptions[K] } = { ...defaults };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (flag === '--json') {
      // A switch: `--json=false` would otherwise turn JSON on.
      if (eq >= 0) throw new UsageError(`--json takes no value, got ${quote(arg)}`);
      o.isJson = true;
      continue;
    }
    const value = (): string => {
      const v = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got ${quote(v)}`);
      // Beyond 2^53 neighbouring integers collapse (a seed of 2^53 + 1 would silently be 2^53).
      if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} must be at most 2^53 - 1, got ${quote(v)}`);
      return n;
    };
    switch (flag) {
      case '--dataset': {
        const v = value();
        // A Map, not an object literal: `constructor` or `__proto__` must not pass as a data set name.
        const name = DATASETS.get(v.toLowerCase());
        if (name === undefined) throw new UsageError(`--dataset must be breastCancer, digits or words, got ${quote(v)}`);
        o.dataset = name;
        break;
      }
      case '--model': {
        const v = value();
        if (v !== 'mlp' && v !== 'cnn' && v !== 'transformer') throw new UsageError(`--model must be mlp, cnn or transformer, got ${quote(v)}`);
        o.model = v;
        break;
      }
      case '--context': o.contextSize = int(1); break;
      case '--epochs': o.epochs = int(1); break;
      case '--seed': o.seed = int(0); break;
      case '--batch-size': o.batchSize = int(1); break;
      case '--agreement-examples': o.agreementExamples = int(1); break;
      case '--lr': {
        const v = value();
        const x = Number(v);
        if (!Number.isFinite(x) || x <= 0) throw new UsageError(`--lr must be a positive number, got ${quote(v)}`);
        o.lr = x;
        break;
      }
      case '--hidden': {
        const v = value();
        const sizes = v.split(',').map((s) => Number(s.trim()));
        if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--hidden must be comma-separated positive integers, got ${quote(v)}`);
        o.hidden = sizes;
        break;
      }
      case '--activation': {
        const v = value();
        if (v !== 'relu' && v !== 'tanh' && v !== 'sigmoid') throw new UsageError(`--activation must be relu, tanh or sigmoid, got ${quote(v)}`);
        o.activation = v;
        break;
      }
      case '--out': o.outDir = value(); break;
      default: throw new UsageError(`unknown option ${quote(arg)}`);
    }
  }
  return o;
}

/**
 * The `tapegrad` command, callable in-process.
 * @param argv The arguments after the program name, e.g. `['demo', '--json', '--epochs', '5']`.
 * @param io Where to write (default: the process's stdout and stderr).
 * @returns The exit code: 0 on success, 1 on a failed check, 2 on a usage error (a promise for `graph --svg` and `verify`).
 * @example
 * ```ts
 * import { main, memoryIo } from '@tapegrad/cli';
 * const { io, stdout } = memoryIo();
 * console.log(main(['help'], io), stdout().startsWith('tapegrad')); // 0 true
 * ```
 */
export function main(argv: readonly string[], io: Io = processIo()): number | Promise<number> {
  const [command = 'demo', ...rest] = argv;
  try {
    if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
      io.out(HELP);
      return 0;
    }
    switch (command) {
      case 'demo': {
        // The data set and model pick the defaults the other options start from.
        const first = parseDemoArgs(rest);
        if (first.model === 'cnn' && first.dataset !== 'digits') throw new UsageError(`--model cnn needs --dataset digits, got '${first.dataset}'`);
        if (first.model === 'transformer' && first.dataset !== 'words') throw new UsageError(`--model transformer needs --dataset words, got '${first.dataset}'`);
        // Checked before training, so an unusable --out costs seconds, not the whole run.
        const problem = checkWritableDir(resolve(first.outDir));
        if (problem !== null) throw new UsageError(`--out ${quote(first.outDir)} cannot be written to: ${problem}`);
        if (first.dataset === 'words') {
          const opts = parseDemoArgs(rest, { ...DEMO_DEFAULTS, ...WORDS_DEFAULTS[first.model === 'transformer' ? 'transformer' : 'mlp'], dataset: 'words' });
          const report = runWordsDemo(opts, io);
          if (opts.isJson) io.out(JSON.stringify(report) + '\n');
          return report.agreement.isWithinTolerance ? 0 : 1;
        }
        if (first.model === 'cnn') {
          const opts = parseDemoArgs(rest, { ...DEMO_DEFAULTS, ...CNN_DEFAULTS, dataset: 'digits' });
          const report = runCnnDemo(opts, DEMO_DEFAULTS, io);
          if (opts.isJson) io.out(JSON.stringify(report) + '\n');
          return report.agreement.isWithinTolerance ? 0 : 1;
        }
        const opts = first;
        let report;
        try {
          report = runDemo(opts, io);
        } catch (e) {
          if (!(e instanceof DemoWriteError)) throw e;
          // The results are not lost: --json still prints them; the failure is reported and the exit code is 1.
          if (opts.isJson) io.out(JSON.stringify(e.report) + '\n');
          io.err(`tapegrad: ${e.message}\n`);
          return 1;
        }
        if (opts.isJson) io.out(JSON.stringify(report) + '\n');
        return report.agreement.fastVsAutograd <= AGREEMENT_TOLERANCE && report.agreement.isWithinTolerance ? 0 : 1;
      }
      case 'check':
        if (rest.length > 0) throw new UsageError(`check takes no options, got ${quote(rest[0]!)}`);
        return runCheck(io);
      case 'neuron':
        return runNeuron(io);
      case 'explain': {
        if (!rest.includes('--symbolic')) return runExplain(rest, io);
        // The symbolic traces, then the numeric trace and its element-by-element check.
        const symbolic = runExplainSymbolic(io);
        const numeric = runExplain(rest.filter((a) => a !== '--symbolic'), io);
        return Math.max(symbolic, numeric);
      }
      case 'derive':
        return runDerive(rest, io);
      case 'graph':
        return runGraph(rest, io);
      case 'verify':
        return runVerify(rest, io).catch((e: unknown) => handle(e, io));
      default:
        throw new UsageError(`unknown command ${quote(command)}`);
    }
  } catch (e) {
    return handle(e, io);
  }
}

/** Turns a usage, library or system error into its message and exit code; rethrows anything else. */
function handle(e: unknown, io: Io): number {
  if (e instanceof UsageError || e instanceof ExplainGraphUsageError || e instanceof DeriveUsageError || e instanceof VerifyUsageError) {
    io.err(`tapegrad: ${e.message}. Run 'tapegrad --help' for usage.
`);
    return 2;
  }
  if (e instanceof TapegradError || isSystemError(e)) {
    io.err(`tapegrad: ${e.message}
`);
    return 1;
  }
  throw e;
}

/** A file-system or OS error (`ENOSPC`, `ENOTDIR`…): a clear one-line message, not a stack trace. */
function isSystemError(e: unknown): e is Error & { code: string } {
  const code: unknown = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** True when this file is the program being run (not imported by a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code));
