// Global flags every command accepts (CONTRACT.md), parsed once and handed to the command. What
// loading a project needs of them is config's LoadInput (-c, -e, --kube-context, -n, --var, cwd).
import type { LoadInput } from '../config/project.ts';

export interface GlobalOptions extends LoadInput {
  /** -o, --output */
  output: 'text' | 'json' | 'jsonl';
  debug: boolean;
  color: boolean;
}
