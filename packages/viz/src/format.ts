/** A shape as `[2, 3]`, and `[]` for a scalar. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Up to a handful of numbers with 4 significant digits. */
export function valuesText(data: ArrayLike<number>): string {
  const parts = Array.from(data, num);
  return parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
}

/** 4 significant digits without trailing zeros. */
export function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const s = x.toPrecision(4);
  return s.includes('e') ? s : String(Number(s));
}

/** Escapes text for XML content and attribute values. */
export function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
