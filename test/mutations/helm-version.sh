#!/usr/bin/env bash
# Another helm first on PATH (a wrapper that runs the real one but reports itself as 3.16, like a
# distribution's older helm would): the sandbox suites must refuse to run against it instead of
# passing against a release they do not claim.
source "$(dirname "$0")/lib.sh"
mutant_copy
real="$(cd "$ROOT" && . scripts/env.sh && command -v helm)"
mkdir -p "$MUTANT/.other-helm"
cat >"$MUTANT/.other-helm/helm" <<SH
#!/bin/sh
if [ "\$1" = version ]; then
  printf v3.16.4
  exit 0
fi
exec "$real" "\$@"
SH
chmod +x "$MUTANT/.other-helm/helm"
# scripts/env.sh puts .tools/bin first; the other helm goes in front of it
mutate scripts/env.sh 's/\z/\nexport PATH="\$(pwd)\/.other-helm:\$PATH"\n/'
run_test test/integration/sandbox/helm.test.ts
