#!/usr/bin/env bash
# A directory whose mode changed after it was synced keeps its old mode in the container. The
# randomized sync changes directory modes; the earlier version only changed file modes.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/dev/sync/plan.ts "s/(if \(l\.type === 'dir'\) \{\n)\s*if \(m\.mode !== l\.mode\) plan\.chmods\.push\(l\);\n\s*else (plan\.unchanged\.push\(l\);)/\$1      \$2/"
KLOOP_SYNC_SEED=1 KLOOP_SYNC_TIMEOUT_MS=120000 run_test test/integration/dev/sync-random.test.ts --test-name-pattern=random
