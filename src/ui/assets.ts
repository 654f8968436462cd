// The page's files, read once and kept gzipped. The browser code is TypeScript in page/: run from
// source, its types are stripped here (Node's own stripper); from dist/ it is already JavaScript.
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { gzipSync } from 'node:zlib';
import { pageHtml } from './page/html.ts';
import { pageCss } from './page/style.ts';

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

/** browser modules in page/ (each may import the others by relative path) */
const MODULES = ['app', 'log-view', 'log-store', 'render'];

function moduleSource(name: string): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(`./page/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  const text = readFileSync(file, 'utf8');
  return fromSource ? quietly(() => stripTypeScriptTypes(text, { mode: 'strip' })) : text;
}

// Node flags stripTypeScriptTypes as experimental on every first call; that warning would land in
// the middle of a dev session's output, and the result is checked by the page's own tests.
function quietly<T>(fn: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return fn();
  } finally {
    process.emitWarning = emit;
  }
}

function asset(type: string, text: string): Asset {
  const body = Buffer.from(text);
  return { type, body, gzip: gzipSync(body, { level: 9 }) };
}

let cache: Map<string, Asset> | null = null;

/** path → asset; modules answer to both .js and .ts (imports in the stripped source keep .ts) */
export function pageAssets(): Map<string, Asset> {
  if (cache) return cache;
  const m = new Map<string, Asset>();
  m.set('/', asset('text/html; charset=utf-8', pageHtml()));
  m.set('/app.css', asset('text/css; charset=utf-8', pageCss));
  for (const name of MODULES) {
    const a = asset('text/javascript; charset=utf-8', moduleSource(name));
    m.set(`/${name}.js`, a);
    m.set(`/${name}.ts`, a);
  }
  cache = m;
  return m;
}

/** what a browser downloads, gzipped (each module counted once) */
export function gzippedSize(): number {
  let total = 0;
  for (const [p, a] of pageAssets()) if (!p.endsWith('.ts')) total += a.gzip.length;
  return total;
}
