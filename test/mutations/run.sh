#!/usr/bin/env bash
# `npm run mutations [name ...]`: runs every mutation script (or the named ones), one line each:
# caught, MISSED or BROKEN (the mutation no longer applies). Exits 1 unless every one was caught.
# Not part of `npm test`: each mutation runs one test file against a changed copy of the checkout.
set -uo pipefail
dir="$(cd "$(dirname "$0")" && pwd)"
if [ $# -gt 0 ]; then names=("$@"); else
  names=()
  for f in "$dir"/*.sh; do
    n="$(basename "$f" .sh)"
    if [ "$n" != lib ] && [ "$n" != run ]; then names+=("$n"); fi
  done
fi
failed=0
for n in "${names[@]}"; do
  start=$SECONDS
  out="$(bash "$dir/$n.sh" 2>&1)"
  rc=$?
  line="$(printf '%s\n' "$out" | tail -n 1)"
  case $rc in
    0) printf 'caught  %-28s %4ss  %s\n' "$n" $((SECONDS - start)) "${line#"$n: "}" ;;
    1) printf 'MISSED  %-28s %4ss  %s\n' "$n" $((SECONDS - start)) "${line#"$n: "}"; failed=1 ;;
    *) printf 'BROKEN  %-28s %4ss  %s\n' "$n" $((SECONDS - start)) "${line#"$n: "}"; failed=1 ;;
  esac
done
exit $failed
