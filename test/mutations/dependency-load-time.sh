#!/usr/bin/env bash
# Path dependencies left for deploy to load (as before load-time resolution): a broken or circular
# dependency would pass `kloop render` and fail a deploy half-way. The load-time test must fail.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/config/dependencies.ts 's/      const loaded = get\(\);/      const loaded = Promise.resolve() as Promise<unknown>;/'
run_test test/unit/config/dependencies.test.ts
