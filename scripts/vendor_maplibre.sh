#!/usr/bin/env bash
# Refresh the vendored MapLibre GL JS files served by the dashboard (no CDN, works offline).
# Usage: scripts/vendor_maplibre.sh [version-range]   (default: 5)
set -euo pipefail

range="${1:-5}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/src/territoria/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
tarball="$(npm pack --silent "maplibre-gl@$range")"
tar xzf "$tarball"
version="$(node -p "require('./package/package.json').version")"

mkdir -p "$dest"
cp package/dist/maplibre-gl.js package/dist/maplibre-gl.css "$dest/"
cp package/LICENSE.txt "$dest/LICENSE-maplibre-gl.txt"
# The source map is not shipped: drop the comment so browsers' dev tools do not request it.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest/maplibre-gl.js"
printf 'maplibre-gl %s (npm), BSD-3-Clause, see LICENSE-maplibre-gl.txt\n' "$version" > "$dest/VERSION"
echo "vendored maplibre-gl $version into $dest"
