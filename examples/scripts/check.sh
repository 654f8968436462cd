#!/bin/sh
# A beforeRender hook: fails the render when the chart is missing its values.
test -f deploy/web/values.yaml || { echo "deploy/web/values.yaml is missing" >&2; exit 1; }
