/**
 * A static file server for the built documentation site (docs/api), used by `pnpm docs:serve` and by the
 * browser check. Localhost only; it serves files and nothing else.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.csv': 'text/csv; charset=utf-8',
};

/**
 * The headers that make the playground cross-origin isolated, so that its program runner has shared
 * memory and large products use the GEMM worker threads. The page and everything under playground/
 * get them (the runner frame must send COEP itself, or the isolated page would not load it); the rest
 * of the site does not need them. A host that cannot send headers serves a page that is not isolated,
 * where products keep to one thread and the page says why.
 */
const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** Whether a request path gets the isolation headers: the playground page and its files. */
function isPlayground(url: string): boolean {
  return url === '/playground.html' || url.startsWith('/playground/');
}

/**
 * Serves `dir` on `port` (0 for an ephemeral one) at 127.0.0.1; `isolated: false` leaves the playground
 * without the cross-origin isolation headers (as a host that sends no headers serves it).
 */
export function serveSite(dir: string, port = 0, opts: { readonly isolated?: boolean } = {}): Promise<Server> {
  const isolated = opts.isolated ?? true;
  const server = createServer((req, res) => {
    let url: string;
    try {
      url = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let path = normalize(join(dir, url));
    if (path !== dir && !path.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    // Chromium asks every new origin for a favicon; the site has none, which is not an error.
    if (url === '/favicon.ico' && !existsSync(path)) {
      res.writeHead(204).end();
      return;
    }
    if (!existsSync(path)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      ...(isolated && isPlayground(url) ? ISOLATION_HEADERS : {}),
    });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
