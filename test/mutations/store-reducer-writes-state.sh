#!/usr/bin/env bash
# The target reducer writes the new pod into the state it was given instead of a copy (a subscriber
# holding an earlier snapshot would see it change under it). The reducer tests freeze their input.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/dev/reducers.ts 's/podHistory: t\.podHistory\.at\(-1\) === name \? t\.podHistory : \[\.\.\.t\.podHistory, name\],/podHistory: t.podHistory.at(-1) === name ? t.podHistory : (t.podHistory.push(name), t.podHistory),/'
run_test test/unit/dev/reducers.test.ts
