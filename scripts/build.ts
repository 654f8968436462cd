// npm run build: the published bins as bundles, so a start of kloop reads a few JavaScript files
// instead of stripping types from a few hundred. One file per entry point (dist/src/cli/bin.js,
// dist/sandbox/cli.js, dist/sandbox/main.js); each command's code is a chunk next to it, loaded
// only when that command runs. npm packages are bundled in, except those that resolve files of
// their own at run time.
//   node scripts/build.ts [--outdir DIR] [--metafile]
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Plugin, transform } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: { outdir: { type: 'string', default: join(root, 'dist') }, metafile: { type: 'boolean', default: false } },
});
const dist = resolve(flags.outdir);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

// ws loads these optional native add-ons with require() when installed; left to run time
const external = ['bufferutil', 'utf-8-validate'];

// `import ... from 'node:http'` in an ES module makes Node build the module's ESM facade, which
// reads every export, including the lazy ones that load undici (fetch, WebSocket): 100-400 ms on
// every start; other built-ins pay less, but pay. Reached through require(), an export is read
// only when used.
const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtins.has(name)) return undefined;
      // the shim's own require() is the real one
      if (args.namespace === 'lazy-builtin') return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/** A hash of every source file and the lockfile: caches of the bundle's own output key on it. */
function buildId(): string {
  const hash = createHash('sha256');
  const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
  for (const f of [...files, join(root, 'package-lock.json')]) hash.update(f).update('\0').update(readFileSync(f));
  return hash.digest('hex').slice(0, 16);
}

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  splitting: true,
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  external,
  plugins: [lazyBuiltins],
  define: { KLOOP_VERSION: JSON.stringify(pkg.version), KLOOP_BUILD: JSON.stringify(buildId()) },
  // bundled CommonJS packages call require() for Node's built-ins
  banner: {
    js: "import { createRequire as __kloopRequire } from 'node:module'; const require = __kloopRequire(import.meta.url);",
  },
  metafile: flags.metafile,
};

rmSync(dist, { recursive: true, force: true });

// Chunks sit next to their entry point: code that finds files relative to its own module
// (the dashboard's page/, schema/, package.json) sees the same directory from every chunk.
const kloop = await build({
  ...common,
  entryPoints: { bin: join(root, 'src/cli/bin.ts') },
  outdir: join(dist, 'src/cli'),
  chunkNames: '[name]-[hash]',
});
const sandbox = await build({
  ...common,
  entryPoints: { cli: join(root, 'sandbox/cli.ts'), main: join(root, 'sandbox/main.ts') },
  outdir: join(dist, 'sandbox'),
  chunkNames: '[name]-[hash]',
});

// The dashboard's browser modules are served as they are: type-stripped, one file each.
const pageSrc = join(root, 'src/ui/page');
const pageOut = join(dist, 'src/cli/page');
mkdirSync(pageOut, { recursive: true });
for (const file of readdirSync(pageSrc).filter((f) => f.endsWith('.ts'))) {
  const out = await transform(readFileSync(join(pageSrc, file), 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'es2022',
  });
  writeFileSync(join(pageOut, file.replace(/\.ts$/, '.js')), out.code.replace(/(from\s+'\.[^']*)\.ts'/g, "$1.js'"));
}

if (common.metafile) {
  writeFileSync(join(dist, 'meta-kloop.json'), JSON.stringify(kloop.metafile));
  writeFileSync(join(dist, 'meta-sandbox.json'), JSON.stringify(sandbox.metafile));
}
const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.js')).length;
console.log(
  `built ${dist}: kloop ${files(join(dist, 'src/cli'))} files, sandbox ${files(join(dist, 'sandbox'))} files`,
);
