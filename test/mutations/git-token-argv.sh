#!/usr/bin/env bash
# The forge token passed to git as `-c http.<origin>.extraHeader=...` on the command line (readable
# by any local user through ps) instead of through GIT_CONFIG_* variables. GIT_TRACE leaves
# top-level -c out and GIT_TRACE_CURL redacts Authorization, so only the argv recording catches it.
source "$(dirname "$0")/lib.sh"
mutant_copy
# the argument list handed to the process runner gets the header in front
mutate src/gitops/git.ts 's/(options\.git,\s*)(?:\[\.\.\.args\]|args),/$1\[...(options.auth ? ["-c", `http.\${options.auth.origin}.extraHeader=\${options.auth.header}`] : []), ...args],/'
mutate src/gitops/git.ts 's/env\.GIT_CONFIG_COUNT = .1.;\s*env\.GIT_CONFIG_KEY_0 = [^\n]*\n\s*env\.GIT_CONFIG_VALUE_0 = [^\n]*\n//'
run_test test/integration/gitops/forges.test.ts
