#!/usr/bin/env bash
# Images without an --image pin are no longer wired (the manifests keep whatever tag they name).
# The reference test pins every image, so only a render from kloop.yaml's images: catches it.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/render/index.ts 's/\} else if \(used\.has\(name\)\) \{/} else if (false) {/'
run_test test/integration/render/kloop-yaml.test.ts --test-name-pattern=images
