function dot(a: Float64Array, b: Float64Array): number { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; }
const n = 1 << 16;
let sink = 0;
const out: string[] = [];
const keep: unknown[] = [];
for (let p = 0; p < 8; p++) {
  keep.push(new Float64Array(1 + p * 37));
  const a = new Float64Array(n), b = new Float64Array(n);
  for (let i = 0; i < n; i++) { a[i] = (i % 7) * 0.25; b[i] = (i % 5) * 0.5; }
  const w = performance.now(); while (performance.now() - w < 30) sink += dot(a, b);
  const t0 = performance.now(); for (let k = 0; k < 64; k++) sink += dot(a, b);
  out.push(((performance.now() - t0) / 2).toFixed(2));
}
console.log(out.join(' '), sink > 0 ? '' : '!');
