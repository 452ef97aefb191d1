/**
 * Serves the built documentation site (after `pnpm docs`) at http://127.0.0.1:4173/ until Ctrl+C.
 * Run: pnpm docs:serve [port].
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveSite } from './site-server.ts';

const site = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'api');
if (!existsSync(join(site, 'index.html'))) {
  console.error('docs:serve: no site in docs/api; run pnpm docs first');
  process.exit(2);
}
const server = await serveSite(site, Number(process.argv[2] ?? 4173));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
console.log(`docs: ${base}\nplayground: ${base}playground.html\n(Ctrl+C stops)`);
