import { defineConfig } from 'vitest/config';

// Node 20 validates relaxed SIMD (the FMA GEMM kernels) only behind a V8 flag, which the library
// never sets itself; the tests opt in, as a Node 20 user would (see docs/installing.md).
const isNode20 = process.versions.node.startsWith('20.');

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    execArgv: isNode20 ? ['--experimental-wasm-relaxed-simd'] : [],
  },
});
