import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { backendInfo, ready, setBackendDebug } from '@tapegrad/core';

const src = (rel: string): string => fileURLToPath(new URL(`../../packages/${rel}`, import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('backendInfo and ready', () => {
  it('reports the kernels this process runs', async () => {
    const info = await ready();
    expect(info.wasm).toBe(true);
    // The tests run Node 20 with --experimental-wasm-relaxed-simd (vitest.config.ts), Node 22+ natively.
    expect(info.fma).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.runtime).toBe(`node ${process.versions.node}`);
    expect(backendInfo()).toEqual(info);
  });

  it('a listener hears the notices so far, each once', () => {
    const heard: string[] = [];
    setBackendDebug((m) => heard.push(m));
    setBackendDebug(undefined);
    expect(heard).toEqual([...backendInfo().notices]);
    expect(new Set(heard).size).toBe(heard.length);
  });

  it('importing the library sets no V8 flag: without the opt-in, Node 20 runs the mul + add kernels', () => {
    const script = [
      `import { backendInfo, matmul, randn } from ${JSON.stringify(src('core/src/index.ts'))};`,
      'matmul(randn([64, 64]), randn([64, 64]));',
      'const { wasm, fma } = backendInfo();',
      // Relaxed SIMD validates only if some code set the flag (Node 22+ ships it, so there fma is true).
      'process.stdout.write(JSON.stringify({ wasm, fma }));',
    ].join('\n');
    const res = spawnSync(tsx, ['--conditions=source', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).toBe('');
    const isNode20 = process.versions.node.startsWith('20.');
    expect(JSON.parse(res.stdout)).toEqual({ wasm: true, fma: !isNode20 });
  });
});

describe('a page that is not cross-origin isolated (unshared Wasm memory, as in the playground)', () => {
  // A separate process: the engine is created once per process, and here it must be created unshared.
  const script = [
    '(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated = false;',
    `const { backendInfo, matmul, randn, ready } = await import(${JSON.stringify(src('core/src/index.ts'))});`,
    // A product large enough to grow linear memory, which detaches the old, unshared buffer.
    'const a = randn([600, 600]);',
    'const shape = matmul(a, a).shape;',
    'const info = await ready();',
    'process.stdout.write(JSON.stringify({ shape, threads: info.threads, again: (await ready()).threads, notices: backendInfo().notices }));',
  ].join('\n');

  it('ready() after memory grew resolves with one thread, and the debug channel says why', () => {
    const res = spawnSync(tsx, ['--conditions=source', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout) as { shape: number[]; threads: number; again: number; notices: string[] };
    expect(out.shape).toEqual([600, 600]);
    expect(out.threads).toBe(1);
    expect(out.again).toBe(1);
    expect(out.notices.filter((n) => n.startsWith('SharedArrayBuffer is unavailable (the page is not cross-origin isolated)'))).toHaveLength(1);
  });
});

describe('entry points that travel', () => {
  it('core, nn and viz have no top-level await (a CommonJS bundle of each builds, so require() works on Node 22+)', async () => {
    for (const pkg of ['core', 'nn', 'viz']) {
      const r = await build({
        entryPoints: [src(`${pkg}/src/index.ts`)], bundle: true, format: 'cjs', platform: 'node', write: false,
        logLevel: 'silent', conditions: ['source'], external: ['@viz-js/viz'],
      });
      expect(r.errors).toEqual([]);
    }
  });

  it('the main entries of core and nn bundle for browsers with no node: import, and the Wasm inside', async () => {
    for (const pkg of ['core', 'nn']) {
      const r = await build({
        entryPoints: [src(`${pkg}/src/index.ts`)], bundle: true, format: 'esm', platform: 'browser', write: false,
        logLevel: 'silent', conditions: ['source'], splitting: true, outdir: '/virtual',
      });
      const text = r.outputFiles.map((f) => f.text).join('\n');
      expect(text).not.toMatch(/from ["']node:/);
      // The GEMM kernels' bytes are in the bundle (base64 of the Wasm magic "\0asm" starts "AGFzbQ").
      if (pkg === 'core') expect(text).toMatch(/["'`]AGFzbQ/);
    }
  });
});
