/**
 * How the playground prints what `console.log` receives, shared by the page's worker and the Node side of
 * the browser check (so the two outputs can be compared line by line): tensors as their nested arrays,
 * arrays and typed arrays as `[1, 2]`, plain objects as `{ a: 1 }`, strings as they are, and anything
 * with its own `toString` (a `Value`) through it.
 */
export function formatArgs(args: readonly unknown[]): string {
  return args.map((a) => format(a, 0)).join(' ');
}

function format(x: unknown, depth: number): string {
  if (typeof x === 'string') return depth === 0 ? x : JSON.stringify(x);
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (x === null || x === undefined || typeof x !== 'object') return typeof x === 'function' ? `[Function ${(x as { name?: string }).name || 'anonymous'}]` : String(x);
  if (depth > 4) return '…';
  if (x instanceof Error) return `${x.name}: ${x.message}`;
  const t = x as { toArray?: () => unknown };
  if (typeof t.toArray === 'function' && 'shape' in x) return format(t.toArray(), depth);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    const items = Array.from(x as ArrayLike<unknown>, (v) => format(v, depth + 1));
    return `[${items.join(', ')}]`;
  }
  if (x instanceof Map) return `Map(${x.size}) {${[...x].map(([k, v]) => ` ${format(k, depth + 1)} => ${format(v, depth + 1)}`).join(',')} }`;
  if (x instanceof Set) return `Set(${x.size}) {${[...x].map((v) => ` ${format(v, depth + 1)}`).join(',')} }`;
  const proto = Object.getPrototypeOf(x) as object | null;
  if (proto !== null && proto !== Object.prototype && typeof (x as object).toString === 'function' && (x as object).toString !== Object.prototype.toString) {
    return String(x);
  }
  const entries = Object.entries(x as Record<string, unknown>).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${format(v, depth + 1)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}
