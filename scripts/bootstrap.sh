#!/usr/bin/env bash
# Makes a fresh Debian machine ready, then runs `npm start` or `npm test`:
#   bash scripts/bootstrap.sh start   # the app on the embedded database with the demo district
#   bash scripts/bootstrap.sh test    # every test
# Installs only what is missing: Node ≥ 22.17 (Node 24 from the npm registry into /opt/node24),
# GDAL's ogr2ogr (imports), and for tests Chromium, CJK fonts, poppler-utils and PostgreSQL/PostGIS/pgRouting from Debian; then npm ci
# when package-lock.json changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-start}
export DEBIAN_FRONTEND=noninteractive

apt_packages=()
if [ "$what" = test ]; then
  command -v chromium >/dev/null || apt_packages+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || apt_packages+=(fonts-noto-cjk)
  ls /usr/lib/postgresql/*/lib/postgis-3.so >/dev/null 2>&1 || apt_packages+=(postgresql-15-postgis-3)
  ls /usr/share/postgresql/*/extension/pgrouting.control >/dev/null 2>&1 || apt_packages+=(postgresql-15-pgrouting)
  # pdfinfo and pdftoppm: the atlas PDF's pages counted and rendered as images (tests/e2e/print.e2e.ts)
  command -v pdftoppm >/dev/null || apt_packages+=(poppler-utils)
fi
command -v npm >/dev/null || apt_packages+=(nodejs npm)
# ogr2ogr reads Shapefiles (GBK, no .prj), XLSX and OSM for imports (src/lib/server/import/)
command -v ogr2ogr >/dev/null || apt_packages+=(gdal-bin)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "bootstrap: installing ${apt_packages[*]}"
  apt-get update -qq
  apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=17)?0:1)'; }
if ! node_ok; then
  export PATH=/opt/node24/bin:$PATH
  if ! node_ok; then
    echo "bootstrap: installing Node 24 into /opt/node24"
    # the `node` package installs its binary from a preinstall script, which npm 11 holds back
    # (EALLOWSCRIPTS): unpack the platform package that holds the binary instead
    case "$(uname -m)" in aarch64|arm64) arch=arm64 ;; *) arch=x64 ;; esac
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@24" >/dev/null)
    rm -rf /opt/node24 && mkdir -p /opt/node24
    tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C /opt/node24 --strip-components=1
    rm -rf "$tmp"
    hash -r
  fi
fi
node_ok || { echo "bootstrap: could not get Node >= 22.17" >&2; exit 1; }
echo "bootstrap: node $(node -v), npm $(npm -v)"

stamp=node_modules/.jiceng-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # npm ci refuses a lockfile that lacks other platforms' optional binaries (rollup's, say),
  # which a registry mirror without them cannot record: then install from the same lockfile
  npm ci --no-audit --no-fund >/tmp/jiceng-npm-ci.log 2>&1 \
    || { echo "bootstrap: npm ci refused the lockfile (see /tmp/jiceng-npm-ci.log); installing from it with npm install"; npm install --no-audit --no-fund; }
  # npm may hold back install scripts: check that the native and wasm parts really arrived
  node -e "require('@node-rs/argon2'); require.resolve('@electric-sql/pglite-postgis')" \
    || { echo "bootstrap: npm packages incomplete (argon2 or pglite-postgis missing)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

case "$what" in
  start) exec npm start ;;
  test) exec npm test ;;
  install) ;;
  *) echo "bootstrap: expected start, test or install, not $what" >&2; exit 2 ;;
esac
