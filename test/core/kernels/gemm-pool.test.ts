import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, backendInfo, matmul, setBackendDebug, tensor } from '@tapegrad/core';
import { gemm, gemmPoolStats, injectGemmWorkerFault, setGemmThreads } from '../../../packages/core/src/kernels/gemm.ts';

// 192³ multiply-adds: past the size from which products are split over worker threads, and quick.
const N = 192;
const a = Float64Array.from({ length: N * N }, (_, i) => ((i * 7919) % 1013) / 1013 - 0.5);
const b = Float64Array.from({ length: N * N }, (_, i) => ((i * 104729) % 997) / 997 - 0.5);

function product(x = a): Float64Array {
  const c = new Float64Array(N * N);
  gemm(x, b, c, N, N, N, false, false);
  return c;
}

setGemmThreads(1);
const expected = product();
setGemmThreads(2);

/** Runs products until a worker has joined one after `since` (a new worker starts, and wakes, late). */
function untilWorkerJoins(since: number): void {
  const until = Date.now() + 20_000;
  while (gemmPoolStats().joinedJobs === since && Date.now() < until) expect(product()).toEqual(expected);
  expect(gemmPoolStats().joinedJobs).toBeGreaterThan(since);
}

afterAll(() => {
  injectGemmWorkerFault(1, 'none');
  setGemmThreads(0);
});

const heard: string[] = [];
setBackendDebug((m) => heard.push(m));

describe('GEMM worker pool under faults', () => {
  it.each(['pack', 'rows', 'hang'] as const)('completes the product when a worker dies or hangs (%s) and replaces the worker', (phase) => {
    untilWorkerJoins(gemmPoolStats().joinedJobs);
    const before = gemmPoolStats();
    // The fault fires in the next product the worker joins; products it does not join are plain.
    let c = expected;
    for (let i = 0; i < 2000 && gemmPoolStats().failovers === before.failovers; i++) {
      injectGemmWorkerFault(1, phase);
      c = product();
      expect(c).toEqual(expected);
    }
    injectGemmWorkerFault(1, 'none');
    const after = gemmPoolStats();
    expect(after.failovers).toBe(before.failovers + 1);
    // A new worker takes the dead one's place and joins later products.
    untilWorkerJoins(after.joinedJobs);
    expect(gemmPoolStats().workersStarted).toBeGreaterThan(before.workersStarted);
  });

  it('says so on the debug channel, once however many failovers', () => {
    const failover = heard.filter((m) => m.includes('stopped responding'));
    expect(failover).toHaveLength(1);
    expect(backendInfo().notices).toContain(failover[0]);
    setBackendDebug(undefined);
  });

  it('releases the workers when the product throws after publishing its job', () => {
    untilWorkerJoins(gemmPoolStats().joinedJobs);
    // A is read after the job is published (so the workers can pack B meanwhile); a transferred
    // buffer makes that read throw.
    const detached = new Float64Array(N * N);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    const c = new Float64Array(N * N);
    const before = gemmPoolStats().joinedJobs;
    for (let i = 0; i < 20; i++) expect(() => gemm(detached, b, c, N, N, N, false, false)).toThrow(TypeError);
    // The workers left the abandoned jobs and still take part in products.
    untilWorkerJoins(Math.max(before, gemmPoolStats().joinedJobs));
    expect(product()).toEqual(expected);
  });

  it('matmul of a tensor whose buffer was transferred throws a typed error naming matmul', () => {
    const x = tensor(new Float64Array(a), { shape: [N, N] });
    const y = tensor(new Float64Array(b), { shape: [N, N] });
    structuredClone(x.data.buffer, { transfer: [x.data.buffer] });
    expect(() => matmul(x, y)).toThrow(ArgumentError);
    expect(() => matmul(x, y)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: matmul: a's buffer was detached (transferred to another thread), got a Tensor of shape [192, 192] with no data]`);
    expect(matmul(tensor(new Float64Array(a), { shape: [N, N] }), y).data).toEqual(expected);
  });
});
