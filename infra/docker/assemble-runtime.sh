#!/bin/sh
# Assembles what the production image runs, from a checkout where `npm ci` and `npm run build` ran:
#   <target>/dist/<app>/main.js(.map)    the bundles (npm run build)
#   <target>/node_modules                 the production dependencies of the apps, nothing else:
#                                         npm ci --omit=dev from package-lock.json, for apps/* only
#   <target>/package.json, package-lock.json and each workspace's package.json (npm ci needs them)
# The Dockerfile's build stage runs it, and `npm run test:built` runs it into a temporary folder and
# starts the apps from there with node alone, so what CI tests is what the image holds.
# Usage: infra/docker/assemble-runtime.sh <checkout> <target>
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <checkout> <target>" >&2
  exit 2
fi
source=$(cd "$1" && pwd)
mkdir -p "$2"
target=$(cd "$2" && pwd)

if [ ! -f "$source/dist/api/main.js" ]; then
  echo "$source/dist is missing or incomplete: run npm run build first" >&2
  exit 1
fi

cd "$source"
cp package.json package-lock.json "$target/"
# Every workspace listed in package.json must be there for npm ci to accept the lock file.
for manifest in apps/*/package.json packages/*/package.json tests/package.json; do
  mkdir -p "$target/$(dirname "$manifest")"
  cp "$manifest" "$target/$manifest"
done
workspaces=""
for app in apps/*/; do
  workspaces="$workspaces --workspace=${app%/}"
done

cd "$target"
# From the npm cache the first `npm ci` filled where it can. No install scripts: the lock's native
# packages ship prebuilt binaries. --workspace: the apps' dependencies only, not those of tests/.
# shellcheck disable=SC2086
npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund $workspaces
rm -rf "$target/dist"
cp -R "$source/dist" "$target/dist"
