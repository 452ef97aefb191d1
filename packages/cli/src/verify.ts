import { existsSync } from 'node:fs';
import { extname, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatReport, isDerivation, verifyDerivation, type Derivation, type VerifyReport } from '@tapegrad/verify';
import type { Io } from './io.ts';

/** Usage of `tapegrad verify`, for the main help text. */
export const VERIFY_HELP = `  tapegrad verify FILE.ts... [--json] [--seed N] [--runs N]
                            check hand derivations (exports made by defineDerivation from @tapegrad/verify)
                            against the engine and central differences on sampled shapes and values;
                            exits 0 when all hold, 1 when one does not, 2 when a file cannot be loaded
`;

/** A mistake on the command line of verify: usage hint, exit code 2. */
export class VerifyUsageError extends Error {}

interface VerifyArgs {
  readonly files: readonly string[];
  readonly isJson: boolean;
  readonly seed: number;
  readonly runs: number;
}

function parseArgs(args: readonly string[]): VerifyArgs {
  const files: string[] = [];
  let isJson = false;
  let seed = 1;
  let runs = 200;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq >= 0 ? arg.slice(0, eq) : arg;
    const int = (min: number): number => {
      const v = eq >= 0 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i];
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isInteger(n) || n < min) throw new VerifyUsageError(`verify: ${flag} must be an integer ≥ ${min}, got '${v ?? ''}'`);
      return n;
    };
    if (flag === '--json') isJson = true;
    else if (flag === '--seed') seed = int(0);
    else if (flag === '--runs') runs = int(0);
    else if (flag.startsWith('-')) throw new VerifyUsageError(`verify: unknown option '${arg}'`);
    else files.push(arg);
  }
  if (files.length === 0) throw new VerifyUsageError('verify: give a file, e.g. tapegrad verify my-derivation.ts');
  return { files, isJson, seed, runs };
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
let isTsxRegistered = false;

/** Imports a user's module; TypeScript goes through tsx's loader hooks, registered once on first need. */
async function load(path: string): Promise<Record<string, unknown>> {
  if (TS_EXTENSIONS.has(extname(path)) && !isTsxRegistered && process.env.VITEST === undefined) {
    const { register } = await import('tsx/esm/api');
    register();
    isTsxRegistered = true;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/** The derivations a module exports: its default export (or a list of them), then every named one. */
function derivationsOf(mod: Record<string, unknown>): { exportName: string; d: Derivation }[] {
  const found: { exportName: string; d: Derivation }[] = [];
  const add = (exportName: string, x: unknown): void => {
    if (isDerivation(x) && !found.some((f) => f.d === x)) found.push({ exportName, d: x });
  };
  const entries = Object.entries(mod).sort(([a], [b]) => (a === 'default' ? -1 : b === 'default' ? 1 : 0));
  for (const [name, x] of entries) {
    if (Array.isArray(x)) x.forEach((item) => add(name, item));
    else add(name, x);
  }
  return found;
}

/** The report as `--json` prints it (NaN and ±∞ become strings, which JSON cannot hold). */
function toJson(file: string, exportName: string, r: VerifyReport): string {
  const clean = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  return JSON.stringify({ file, export: exportName, ...r }, clean);
}

/**
 * `tapegrad verify FILE...`: loads each file (TypeScript or JavaScript), verifies every derivation it exports,
 * and prints a report per derivation (or one JSON object per line with `--json`).
 * @param args The options and files after the command name.
 * @param io Where to write.
 * @returns 0 when every derivation holds, 1 when one does not, 2 when a file cannot be loaded or has none.
 */
export async function runVerify(args: readonly string[], io: Io): Promise<number> {
  const opts = parseArgs(args);
  const started = performance.now();
  let total = 0;
  let failing = 0;
  for (const file of opts.files) {
    const path = resolve(file);
    if (!existsSync(path)) {
      io.err(`tapegrad verify: cannot load ${file}: no such file\n`);
      return 2;
    }
    let mod: Record<string, unknown>;
    try {
      mod = await load(path);
    } catch (e) {
      io.err(`tapegrad verify: cannot load ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      return 2;
    }
    const found = derivationsOf(mod);
    if (found.length === 0) {
      io.err(`tapegrad verify: ${file} exports no derivation (export one made by defineDerivation from @tapegrad/verify)\n`);
      return 2;
    }
    let rel = relative(process.cwd(), path).split(sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    if (!opts.isJson) io.out(`${file}\n`);
    for (const { exportName, d } of found) {
      const r = verifyDerivation(d, { seed: opts.seed, runs: opts.runs, source: { path: rel, exportName } });
      total++;
      if (!r.ok) failing++;
      io.out(opts.isJson ? toJson(file, exportName, r) + '\n' : formatReport(r));
    }
  }
  if (!opts.isJson) {
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    io.out(`\n${total - failing} of ${total} derivation${total === 1 ? '' : 's'} hold (${seconds} s)\n`);
  }
  return failing === 0 ? 0 : 1;
}
