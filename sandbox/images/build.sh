#!/usr/bin/env bash
# Builds the base images tests and examples use, from Debian's busybox-static,
# because no registry is reachable. Skips images the local Docker already has.
set -euo pipefail
have() { docker image inspect "$1" >/dev/null 2>&1; }
if ! have busybox:1.36; then
  bin=$(command -v busybox)
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/tmp" "$tmp/rootfs/etc" "$tmp/rootfs/root" "$tmp/rootfs/var/www"
  cp "$bin" "$tmp/rootfs/bin/busybox"
  # Every applet as a symlink so `sh`, `tar`, `httpd` ... resolve as in the real busybox image.
  for applet in $("$bin" --list); do
    [ -e "$tmp/rootfs/bin/$applet" ] || ln -s busybox "$tmp/rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$tmp/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$tmp/rootfs/etc/group"
  chmod 1777 "$tmp/rootfs/tmp"
  tar -C "$tmp/rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["sh"]' - busybox:1.36 >/dev/null
  docker tag busybox:1.36 busybox:latest
  rm -rf "$tmp"
  echo "[images] built busybox:1.36 from $bin" >&2
fi

# --- hybrid (kloop intercept): a stand-in for the stock node:24-slim image -------------------
# The intercept agent runs on a stock Node.js image with its code mounted from a ConfigMap; no
# registry is reachable here, so the image is assembled from the node binary on PATH and the
# glibc libraries it links (same layout as the official image: node on PATH, /tmp writable).
if ! have node:24-slim; then
  node_bin=$(command -v node)
  tmp=$(mktemp -d)
  mkdir -p "$tmp/rootfs/usr/local/bin" "$tmp/rootfs/tmp" "$tmp/rootfs/etc"
  cp "$node_bin" "$tmp/rootfs/usr/local/bin/node"
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$tmp/rootfs$(dirname "$lib")"
    cp -L "$lib" "$tmp/rootfs$lib"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' > "$tmp/rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' > "$tmp/rootfs/etc/group"
  chmod 1777 "$tmp/rootfs/tmp"
  tar -C "$tmp/rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["node"]' - node:24-slim >/dev/null
  rm -rf "$tmp"
  echo "[images] built node:24-slim from $node_bin" >&2
fi
