#!/usr/bin/env bash
# Copy the front-end packages npm installed into static/vendor (served by us, never from a CDN).
set -eu
dest=static/vendor
rm -rf "$dest"
mkdir -p "$dest/htmx" "$dest/chartjs" "$dest/pico" "$dest/axe"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map "$dest/chartjs/"
cp node_modules/@picocss/pico/css/pico.min.css "$dest/pico/"
cp node_modules/axe-core/axe.min.js "$dest/axe/"
for pkg in htmx.org chart.js @picocss/pico axe-core; do
  cp "node_modules/$pkg/LICENSE"* "$dest/$(basename "$pkg" | sed 's/htmx.org/htmx/; s/chart.js/chartjs/')/" 2>/dev/null || true
done
