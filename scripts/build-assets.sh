#!/usr/bin/env bash
# Front-end assets from the npm registry (package-lock.json), copied where the app serves
# them: src/civitas/web/static/vendor (git-ignored). No CDN is used at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null; then
  echo "build-assets: npm is needed (Debian: apt-get install npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
out=src/civitas/web/static/vendor
rm -rf "$out"
mkdir -p "$out/leaflet/images"
cp node_modules/modern-normalize/modern-normalize.css "$out/modern-normalize.css"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out/leaflet/images/"
# a city's vector base map (PMTiles in the Protomaps schema) drawn by Leaflet in a canvas
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js "$out/leaflet/"
cp node_modules/protomaps-leaflet/LICENSE "$out/leaflet/protomaps-leaflet.LICENSE" 2>/dev/null || true
# charts: Vega-Lite specs rendered by vega-embed (dashboards, scorecard, network)
# one bundle with the CSP-safe expression interpreter (the pages allow no eval)
mkdir -p "$out/vega"
node_modules/.bin/esbuild scripts/assets/charts.js --bundle --minify --format=iife \
  --target=es2020 --legal-comments=none --log-level=warning --outfile="$out/vega/charts.min.js"
# the API reference (/docs): Swagger UI from the registry, started by our own script
mkdir -p "$out/swagger-ui"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
  node_modules/swagger-ui-dist/LICENSE "$out/swagger-ui/"
cp scripts/assets/swagger-init.js "$out/swagger-ui/init.js"
cp node_modules/vega/LICENSE "$out/vega/LICENSE" 2>/dev/null || true
cp node_modules/htmx.org/LICENSE "$out/htmx.LICENSE" 2>/dev/null || true
cp node_modules/leaflet/LICENSE "$out/leaflet/LICENSE" 2>/dev/null || true
echo "build-assets: $(du -sh "$out" | cut -f1) in $out"
