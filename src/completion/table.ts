// The completion spec as a tab-separated table the generated scripts read at TAB time. One line per
// fact, no empty field (bash's `read` merges empty tab-separated fields):
//   S <path> <name> <description>                  a subcommand of <path>
//   F <path|*> <names,> <value> <description>       a flag of <path> (* for the global flags)
//   A <path> <index> <variadic 0|1> <value>         a positional argument
// <path> is the command path joined with spaces, "." for the program; <value> is "-" for a boolean
// flag, else dyn:<kind>[:<suffix>], choices:<a,b>, file, dir or none.
import type { CompletionSpec, ValueSpec } from './spec.ts';

export function encodeValue(v: ValueSpec | undefined): string {
  if (!v) return '-';
  switch (v.type) {
    case 'dynamic':
      return `dyn:${v.kind}${v.suffix ? `:${v.suffix}` : ''}`;
    case 'choices':
      return `choices:${v.values.join(',')}`;
    default:
      return v.type;
  }
}

/** One line of text, no tabs; "-" when empty. */
export function cell(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t || '-';
}

export const pathKey = (path: readonly string[]) => (path.length ? path.join(' ') : '.');

export function completionTable(spec: CompletionSpec): string {
  const rows: string[][] = [];
  for (const f of spec.globals) rows.push(['F', '*', f.names.join(','), encodeValue(f.value), cell(f.description)]);
  for (const c of spec.commands) {
    const p = pathKey(c.path);
    for (const s of c.subcommands) rows.push(['S', p, s.name, cell(s.description)]);
    for (const f of c.flags) rows.push(['F', p, f.names.join(','), encodeValue(f.value), cell(f.description)]);
    c.args.forEach((a, i) => {
      rows.push(['A', p, String(i), a.variadic ? '1' : '0', encodeValue(a.value)]);
    });
  }
  return rows.map((r) => r.join('\t')).join('\n');
}
