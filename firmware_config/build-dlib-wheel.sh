#!/usr/bin/env bash
# Build dlib once from source against OpenBLAS, as a wheel for the kiosk image.
#
#   sudo ./build-dlib-wheel.sh /boot/firmware/hadir-wheels [DLIB_VERSION]
#
# The `dlib-bin` wheel the kiosk installs by default has no BLAS: its face encodings (the
# first frame of every person in front of the kiosk) take about 5x longer. Run this once
# per image on a machine of the kiosk's architecture (a Pi, or an arm64 builder); it takes
# 15-20 minutes on two cores, longer on a Pi 4. `provision.sh` installs the wheel over
# dlib-bin's module when it finds it next to the other wheels. Never run in CI or tests.
set -euo pipefail

OUT="${1:-}"
VERSION="${2:-20.0.1}"
if [ -z "$OUT" ]; then
  echo "usage: $0 WHEEL_DIR [DLIB_VERSION]" >&2
  exit 2
fi
mkdir -p "$OUT"

if [ "$(id -u)" -eq 0 ]; then
  apt-get install -y --no-install-recommends build-essential cmake libopenblas-dev \
    liblapack-dev python3-dev python3-venv >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip wheel
# one build job: the machine stays usable (and a Pi's memory suffices)
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-1}" \
  "$work/venv/bin/pip" wheel --no-deps --no-binary dlib "dlib==$VERSION" -w "$OUT"

wheel="$(ls "$OUT"/dlib-"$VERSION"-*.whl)"
"$work/venv/bin/pip" install --quiet --no-deps "$wheel"
if ! "$work/venv/bin/python" -c 'import dlib, sys; sys.exit(0 if dlib.DLIB_USE_BLAS else 1)'; then
  echo "dlib was built without BLAS: is libopenblas-dev installed?" >&2
  exit 1
fi
echo "dlib $VERSION with BLAS: $wheel"
