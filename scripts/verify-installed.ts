/**
 * `tapegrad verify` from the installed CLI, outside the workspace: packs the packages (their prepack
 * scripts build dist/), installs the tarballs with npm in a fresh project, copies the derivation gallery
 * there and runs `npx tapegrad verify` on it. Prints what the CLI printed and exits 1 when the exit codes
 * or the summary are not the expected ones.
 *
 *   pnpm exec tsx scripts/verify-installed.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'tapegrad-installed-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(join(project, 'derivations'), { recursive: true });

/** The environment without pnpm's npm_config_* settings (npm warns about the ones it does not know). */
const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_')));

let failures = 0;
const expect = (isOk: boolean, what: string): void => {
  process.stdout.write(`${isOk ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!isOk) failures++;
};

try {
  for (const pkg of ['core', 'nn', 'viz', 'verify', 'cli']) {
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, 'packages', pkg), stdio: ['ignore', 'ignore', 'inherit'] });
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-derivations', private: true, type: 'module' }, null, 2));
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'], env: cleanEnv() });
  const gallery = join(root, 'docs', 'derivations');
  const names = readdirSync(gallery).filter((f) => f.endsWith('.ts')).sort();
  for (const f of names) copyFileSync(join(gallery, f), join(project, 'derivations', f));

  const env = cleanEnv();
  const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync('npx', ['--no-install', 'tapegrad', 'verify', ...args], { cwd: project, encoding: 'utf8', env });

  const all = run(...names.map((f) => `derivations/${f}`));
  process.stdout.write(all.stdout + all.stderr);
  expect(all.status === 1, `npx tapegrad verify derivations/*.ts exits 1 (got ${all.status})`);
  expect(all.stdout.includes(`${names.length - 2} of ${names.length} derivations hold`), `${names.length - 2} of ${names.length} hold`);

  const good = run('derivations/softmax-cross-entropy.ts', '--json');
  expect(good.status === 0 && JSON.parse(good.stdout).verdict === 'holds', `--json on a correct derivation: exit ${good.status}, verdict ${good.stdout.slice(0, 200)}`);

  writeFileSync(join(project, 'broken.ts'), 'export default defineDerivation({ name: \n');
  const broken = run('broken.ts');
  expect(broken.status === 2 && broken.stderr.startsWith('tapegrad verify: cannot load broken.ts'), `a file that cannot be loaded exits 2: ${broken.stderr.trim().split('\n')[0]}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(failures === 0 ? 'installed CLI: all checks passed\n' : `installed CLI: ${failures} check(s) failed\n`);
process.exitCode = failures === 0 ? 0 : 1;
