#!/usr/bin/env bash
# The hybrid watch ignores its file events (only the periodic checks would ever read): a connect or
# intercept beside a dev session shows up late or never.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/hybrid/published.ts 's/watch\(dir, \{ persistent: false \}, readSoon\)/watch(dir, { persistent: false }, () => {})/'
run_test test/unit/hybrid/published.test.ts
