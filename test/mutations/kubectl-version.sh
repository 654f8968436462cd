#!/usr/bin/env bash
# Another kubectl first on PATH (a wrapper that runs the real one but reports itself as 1.31, like a
# distribution's older kubectl would): the sandbox suites must refuse to run against it instead of
# passing against a release they do not claim.
source "$(dirname "$0")/lib.sh"
mutant_copy
real="$(cd "$ROOT" && . scripts/env.sh && command -v kubectl)"
mkdir -p "$MUTANT/.other-kubectl"
cat >"$MUTANT/.other-kubectl/kubectl" <<SH
#!/bin/sh
if [ "\$1" = version ]; then
  echo '{"clientVersion":{"major":"1","minor":"31","gitVersion":"v1.31.4"}}'
  exit 0
fi
exec "$real" "\$@"
SH
chmod +x "$MUTANT/.other-kubectl/kubectl"
# scripts/env.sh puts .tools/bin first; the other kubectl goes in front of it
mutate scripts/env.sh 's/\z/\nexport PATH="\$(pwd)\/.other-kubectl:\$PATH"\n/'
run_test test/integration/sandbox/cli.test.ts
