# Shared by the mutation scripts: copy the checkout to a temporary folder, change the code there on
# purpose, run one test file, and report whether the test caught the change.
#   exit 0: the test failed (mutation caught)   exit 1: the test passed (missed)
#   exit 2: the mutation no longer applies (the code it targets moved): fix the script
# Usage in a script: source lib.sh; mutant_copy; mutate FILE PERL-EXPR [...]; run_test FILE [node --test args]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MUTATION="$(basename "$0" .sh)"
MUTANT=""

cleanup_mutant() { if [ -n "$MUTANT" ]; then rm -rf "$MUTANT"; fi; }
trap cleanup_mutant EXIT

# a copy of the working tree (uncommitted changes included) without .git, node_modules and .tools,
# which are symlinked to the originals
mutant_copy() {
  MUTANT="$(mktemp -d "${TMPDIR:-/tmp}/kloop-mutant-$MUTATION-XXXXXX")"
  tar -C "$ROOT" --exclude=./.git --exclude=./node_modules --exclude=./.tools --exclude=./dist \
    --exclude='./.kloop' -cf - . | tar -C "$MUTANT" -xf -
  for link in node_modules .tools; do
    if [ -e "$ROOT/$link" ]; then ln -s "$(readlink -f "$ROOT/$link")" "$MUTANT/$link"; fi
  done
}

# mutate FILE PERL-EXPR: applies a perl substitution (whole file as one string) and checks it changed
# the file, so a mutation whose target moved is reported instead of silently testing nothing
mutate() {
  local file="$MUTANT/$1" expr="$2"
  if [ ! -f "$file" ]; then
    echo "$MUTATION: no longer applies: $1 does not exist" >&2
    exit 2
  fi
  local before
  before="$(sha256sum "$file")"
  perl -0pi -e "$expr" "$file"
  if [ "$(sha256sum "$file")" = "$before" ]; then
    echo "$MUTATION: no longer applies: nothing matched in $1" >&2
    exit 2
  fi
}

# run_test FILE [extra node --test arguments]: the one test file, in the mutant, as CI runs it
run_test() {
  local file="$1"
  shift
  local log="${MUTATION_LOG:-$MUTANT.log}"
  local rc=0
  (
    cd "$MUTANT"
    # shellcheck disable=SC1091
    . scripts/env.sh
    CI=true node --test --test-concurrency=1 --test-reporter=spec "$@" "$file"
  ) >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "$MUTATION: caught by $file ($(grep -m1 -E '^\s*✖ ' "$log" | sed -E 's/^\s*✖ //; s/ \([0-9.]+ms\)$//' || true))"
    exit 0
  fi
  echo "$MUTATION: MISSED: $file passed with the mutation (log: $log)"
  exit 1
}
