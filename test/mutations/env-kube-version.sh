#!/usr/bin/env bash
# An environment's kubeVersion in kloop.yaml is dropped while loading the config (the top-level one
# wins). Only a render from a real kloop.yaml can see it: hand-built projects skip the loader.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/config/resolve.ts 's/kubeVersion: environment\?\.kubeVersion \?\? /kubeVersion: /'
run_test test/integration/render/kloop-yaml.test.ts --test-name-pattern=KubeVersion
