#!/usr/bin/env bash
# afterDeploy run before the apply step instead of after it (a migration hook would run against
# objects not yet applied): the pipeline's order test must fail.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/pipeline/pipeline.ts "s/(  const applied = await apply\(rendered\);\n)(  await runHooks\(project, 'afterDeploy'\);\n)/\$2\$1/"
run_test test/unit/pipeline/pipeline.test.ts
