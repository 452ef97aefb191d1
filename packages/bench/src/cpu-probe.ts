/**
 * A fixed, allocation-free loop timed at the start and the end of a run, so a report shows when the
 * machine itself ran slower. On shared virtual machines the same process can run every loop about
 * twice as slowly for minutes at a time, with a low load average and no steal time reported (seen
 * while measuring W3: two copies of the engine timed alternately in one process slowed down together,
 * the allocation-free backward loop as much as the allocating forward). Rows timed in such a phase are
 * not comparable with rows timed outside it; the probe makes the phase visible.
 */

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Milliseconds for the probe's loop: the median of `reps` timings of 32 dot products of 65,536
 * float64s (~2 × 10⁶ multiply-adds), after a 50 ms warm-up that lets the JIT compile the loop.
 *
 * @param reps - how many timings to take the median of
 * @returns the median time in milliseconds
 */
export function cpuProbeMs(reps = 7): number {
  const n = 1 << 16;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = (i % 7) * 0.25;
    b[i] = (i % 5) * 0.5;
  }
  let sink = 0;
  // Warm up for 50 ms: long enough for the optimising compiler (it runs in the background) to finish.
  const warm = performance.now();
  while (performance.now() - warm < 50) sink += dot(a, b);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let k = 0; k < 32; k++) sink += dot(a, b);
    times.push(performance.now() - t0);
  }
  if (!Number.isFinite(sink)) throw new Error('cpu probe: the loop overflowed');
  times.sort((p, q) => p - q);
  return times[times.length >> 1]!;
}

/**
 * The probe's report line: its times at the start and the end, and a warning when they differ by more
 * than 1.4× (the machine changed speed during the run).
 *
 * @param start - the probe's milliseconds at the start
 * @param end - the probe's milliseconds at the end
 * @returns one line for the report's header
 */
export function describeProbe(start: number, end: number): string {
  const ratio = Math.max(start, end) / Math.min(start, end);
  const drift = ratio > 1.4
    ? ` — the machine ran ${ratio.toFixed(2)}× ${end > start ? 'slower at the end' : 'faster at the end'}: rows timed far apart are not comparable`
    : '';
  return `CPU probe (a fixed allocation-free loop): ${start.toFixed(2)} ms at start, ${end.toFixed(2)} ms at end${drift}`;
}
