#!/usr/bin/env bash
# Tar headers written in latin1 instead of UTF-8: every name with an accent, CJK or emoji arrives
# under a garbled name. The randomized sync uses such names; the earlier version used n1, n2 ...
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/dev/sync/tar-writer.ts "s/h\.write\(name, 0, 100, 'utf8'\)/h.write(name, 0, 100, 'latin1')/; s/h\.write\(prefix, 345, 155, 'utf8'\)/h.write(prefix, 345, 155, 'latin1')/"
KLOOP_SYNC_SEED=1 KLOOP_SYNC_TIMEOUT_MS=120000 run_test test/integration/dev/sync-random.test.ts --test-name-pattern=random
