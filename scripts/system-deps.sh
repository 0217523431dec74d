#!/usr/bin/env bash
# Install the Debian packages Hadir's demo and tests need, where they are missing.
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# libpango*/libharfbuzz-subset0/fonts-liberation2: WeasyPrint (the portal's PDFs);
# poppler-utils: the tests read those PDFs back (pdftotext, pdfinfo, pdftoppm, pdfsig);
# zbar-tools (zbarimg) reads a signed letter's QR code back, libnss3-tools (certutil) gives
# pdfsig the test CA
for pkg in mosquitto mosquitto-clients postgresql gpsd gpsd-clients chromium shellcheck systemd \
           libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 poppler-utils \
           zbar-tools libnss3-tools; do
  have "$pkg" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} — run: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts these as services; Hadir's tests and demo start their own.
