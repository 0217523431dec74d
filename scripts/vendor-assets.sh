#!/usr/bin/env bash
# Vendor the portal's front-end assets from the npm registry at the versions
# pinned in cloud/src/hadir_cloud/portal/static/vendor/MANIFEST.json.
#
# For each package: `npm pack <name>@<version>` into a temporary directory,
# check the tarball's sha512 against the pinned `integrity`, copy only the
# listed files into static/vendor/<name>/, and check each copy's sha256 against
# the manifest (an empty sha256 is filled in: that is how an upgrade records it).
# The portal never loads anything from a CDN (DESIGN.md, "Background work and
# the front end"); tests/portal/test_assets.py holds the tree to the manifest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/cloud/src/hadir_cloud/portal/static/vendor"
MANIFEST="$VENDOR/MANIFEST.json"
PYTHON="${PYTHON:-python3}"

command -v npm >/dev/null || { echo "vendor-assets: npm is needed (apt-get install npm)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# name, version, integrity per line
"$PYTHON" - "$MANIFEST" >"$WORK/pins" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["packages"]:
    print(p["name"], p["version"], p["integrity"])
PY

while read -r name version integrity; do
    dir="$WORK/pack-$(echo "$name" | tr '/@' '__')"
    mkdir -p "$dir"
    echo "vendor-assets: $name@$version"
    tarball="$(cd "$dir" && npm pack --silent "$name@$version" 2>/dev/null | tail -n 1)"
    got="sha512-$(openssl dgst -sha512 -binary "$dir/$tarball" | base64 -w 0)"
    if [[ "$got" != "$integrity" ]]; then
        echo "vendor-assets: $name@$version integrity mismatch: pinned $integrity, got $got" >&2
        exit 1
    fi
    tar -xzf "$dir/$tarball" -C "$dir"
done <"$WORK/pins"

# copy the listed files, check (or record) their sha256
"$PYTHON" - "$MANIFEST" "$VENDOR" "$WORK" <<'PY'
import hashlib, json, shutil, sys
from pathlib import Path

manifest_path, vendor, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
manifest = json.loads(manifest_path.read_text())
changed = False
for pkg in manifest["packages"]:
    src_root = work / ("pack-" + pkg["name"].replace("/", "_").replace("@", "_"))
    dest_dir = vendor / pkg["name"]
    if dest_dir.exists():
        shutil.rmtree(dest_dir)  # nothing stale left behind from an older version
    dest_dir.mkdir(parents=True)
    for f in pkg["files"]:
        src = src_root / f["from"]
        dest = dest_dir / f["to"]
        shutil.copyfile(src, dest)
        digest = hashlib.sha256(dest.read_bytes()).hexdigest()
        if not f.get("sha256"):
            f["sha256"] = digest
            changed = True
        elif f["sha256"] != digest:
            sys.exit(f"vendor-assets: {pkg['name']}/{f['to']} sha256 {digest} "
                     f"is not the pinned {f['sha256']}")
        print(f"  {dest.relative_to(vendor)}  {digest[:16]}…")
if changed:
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print("vendor-assets: recorded new sha256 values in MANIFEST.json")
PY
