#!/usr/bin/env bash
# A cached checkout of a pinned git dependency taken as it is even when edited by hand: kloop would
# deploy content that is not the commit kloop.yaml names. The dependency tests must fail.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/config/dependencies.ts "s/return \(await git\(project, \['-C', dir, 'status', '--porcelain', '--untracked-files=no'\]\)\) === '';/return true;/"
run_test test/unit/config/dependencies.test.ts
