// Global flags every command accepts (CONTRACT.md), parsed once and handed to the command.

export interface GlobalOptions {
  /** -c, --config: kloop.yaml path; default: searched upward from cwd */
  config?: string;
  /** -e, --env */
  env?: string;
  /** --kube-context */
  kubeContext?: string;
  /** -n, --namespace */
  namespace?: string;
  /** --var KEY=VALUE (repeatable), in order */
  vars: Record<string, string>;
  /** -o, --output */
  output: 'text' | 'json';
  debug: boolean;
  color: boolean;
  /** the working directory the command was started in */
  cwd: string;
}
