// kloop mcp [--allow-changes]: an MCP server over stdio for coding agents (see src/mcp/server.ts).
import type { GlobalOptions } from '../cli/options.ts';
import { serveMcp } from '../mcp/server.ts';

export async function run(globals: GlobalOptions, opts: { allowChanges?: boolean } = {}): Promise<number> {
  await serveMcp({ globals, allowChanges: Boolean(opts.allowChanges) });
  return 0;
}
