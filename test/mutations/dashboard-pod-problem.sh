#!/usr/bin/env bash
# The dev session stops reporting its pods' problems (the reason diagnosed from the pod status)
# into the store. The dashboard test used to feed the crashing pod's status from test code and
# stayed green; now the crash goes through a real TargetSession and the card must show it.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/dev/target-session.ts 's/\.\.\.\(problem \? \{ reason: problem\.reason \} : \{\}\),//'
run_test test/integration/ui/dashboard.test.ts
