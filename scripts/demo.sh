#!/usr/bin/env bash
# The newcomer's main job: set up the machine, then build, render and deploy the bundled example
# (examples/) to the cluster of your current kube context, or to a local sandbox cluster when no
# cluster is configured. Run it again at any time; `bash scripts/demo.sh down` removes the sandbox.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/setup.sh"
. "$root/scripts/env.sh"
sandbox() { kloop-sandbox "$@"; }
sandbox_config="$root/.kloop/sandbox/kubeconfig"

if [ "${1:-}" = down ]; then
  sandbox down --kubeconfig "$sandbox_config"
  exit 0
fi

# A cluster is "configured" when KUBECONFIG or ~/.kube/config names a current context.
if [ -z "${KUBECONFIG:-}" ] && ! kubectl config current-context >/dev/null 2>&1; then
  echo "[demo] no cluster configured: starting the kloop sandbox (a Docker-backed Kubernetes API)" >&2
  mkdir -p "$(dirname "$sandbox_config")"
  sandbox up --kubeconfig "$sandbox_config"
  export KUBECONFIG="$sandbox_config"
fi

cd "$root/examples"
[ -f .env ] || cp .env.example .env
kloop doctor
kloop deploy
kubectl get deployments,pods,services -n "$(grep -E '^NAMESPACE=' .env | cut -d= -f2)"
cat >&2 <<TXT
[demo] done. Next, in your shell:
  source scripts/env.sh${KUBECONFIG:+ && export KUBECONFIG=$KUBECONFIG}
  cd examples && kloop dev        # sync src/web/public into the pod, http://localhost:8085/
  kloop purge                     # remove what kloop deployed
  bash scripts/demo.sh down       # remove the sandbox
TXT
