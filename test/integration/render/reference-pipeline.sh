#!/usr/bin/env bash
# The pipeline a CI script runs today, as the reference kloop's render is compared with:
# copy the sources, substitute the declared variables envsubst-style (only those names, so $HOME
# in scripts survives), then helm template / kubectl kustomize / cat. Usage:
#   reference-pipeline.sh <fixture dir>    (TITLE NAMESPACE REPLICAS LOG_LEVEL in the environment)
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src"/. "$work"/
cd "$work"
names='TITLE|NAMESPACE|REPLICAS|LOG_LEVEL'
# generator sources (app.properties) are data, taken in verbatim
find deploy -type f ! -path '*/chart/*' ! -path 'deploy/lib/common/*' ! -name '*.properties' -print0 |
  xargs -0 perl -pi -e 's/\$\{('"$names"')\}/$ENV{$1}/g; s/\$('"$names"')\b/$ENV{$1}/g'
kv=(--kube-version 1.32.0 --include-crds --namespace "$NAMESPACE")
doc() { cat; printf '\n---\n'; }
helm template web deploy/web/chart "${kv[@]}" --values deploy/web/values.yaml --set "replicas=$REPLICAS" | doc
kubectl kustomize deploy/api/overlay | doc
for f in deploy/jobs/*.yaml deploy/platform/*.yaml; do doc < "$f"; done
helm template front deploy/front/chart "${kv[@]}" > deploy/front/kustomize/front.yaml
kubectl kustomize deploy/front/kustomize | doc
helm dependency build deploy/lib/chart --skip-refresh >/dev/null
helm template lib deploy/lib/chart "${kv[@]}" > deploy/lib/kustomize/lib-helm.yaml
echo '  - lib-helm.yaml' >> deploy/lib/kustomize/kustomization.yaml
kubectl kustomize deploy/lib/kustomize | doc
