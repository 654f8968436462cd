#!/usr/bin/env bash
# helm template no longer gets --kube-version: charts see helm's built-in version whatever the
# project or environment says. The KubeVersion-dependent chart rendered per environment catches it.
source "$(dirname "$0")/lib.sh"
mutant_copy
mutate src/render/helm.ts "s/args\.push\('--kube-version', options\.kubeVersion\);//"
run_test test/integration/render/kloop-yaml.test.ts --test-name-pattern=KubeVersion
