#!/usr/bin/env bash
# First-boot provisioning: turns a fresh Raspberry Pi OS (Bookworm) into a Hadir kiosk.
#
#   sudo ./provision.sh --provision-file /boot/firmware/hadir-provision.env --wheels /boot/firmware/hadir-wheels
#
# Idempotent: running it again rewrites the same files and keeps the kiosk's key.
# HADIR_ROOT=/some/dir writes every file under that directory instead of / and
# skips what only a real system can do (users, apt, systemctl): the tests use it.
set -euo pipefail

ROOT="${HADIR_ROOT:-/}"
ROOT="${ROOT%/}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROVISION_FILE=""
WHEELS=""
SKIP_SYSTEM=0
[ -n "${HADIR_ROOT:-}" ] && SKIP_SYSTEM=1

usage() {
  echo "usage: $0 --provision-file FILE [--wheels DIR] [--skip-system]" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --provision-file) PROVISION_FILE="${2:-}"; shift 2 ;;
    --wheels) WHEELS="${2:-}"; shift 2 ;;
    --skip-system) SKIP_SYSTEM=1; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ -n "$PROVISION_FILE" ] || usage
[ -r "$PROVISION_FILE" ] || { echo "cannot read provisioning file $PROVISION_FILE" >&2; exit 1; }

# The provisioning file is KEY=value lines written by IT staff (see README.md).
DEVICE_ID="" OFFICE_ID="" OFFICE_NAME="" OFFICE_TZ="Asia/Jakarta" OFFICE_LAT="" OFFICE_LON=""
OFFICE_RADIUS_M="50" BROKER_HOST="" BROKER_PORT="8883" BROKER_PASSWORD="" CLOUD_PUBLIC_KEY=""
GALLERY_KEY="auto"
while IFS='=' read -r key value; do
  case "$key" in
    ''|'#'*) continue ;;
    DEVICE_ID|OFFICE_ID|OFFICE_NAME|OFFICE_TZ|OFFICE_LAT|OFFICE_LON|OFFICE_RADIUS_M|BROKER_HOST|BROKER_PORT|BROKER_PASSWORD|CLOUD_PUBLIC_KEY|GALLERY_KEY)
      printf -v "$key" '%s' "$value" ;;
    *) echo "unknown key in $PROVISION_FILE: $key" >&2; exit 1 ;;
  esac
done < "$PROVISION_FILE"

missing=()
for key in DEVICE_ID OFFICE_ID OFFICE_NAME OFFICE_LAT OFFICE_LON BROKER_HOST BROKER_PASSWORD CLOUD_PUBLIC_KEY; do
  [ -n "${!key}" ] || missing+=("$key")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing in $PROVISION_FILE: ${missing[*]}" >&2
  exit 1
fi
if ! [[ "$DEVICE_ID" =~ ^[a-z0-9][a-z0-9-]{1,62}$ ]]; then
  echo "DEVICE_ID must be lowercase letters, digits and '-': $DEVICE_ID" >&2
  exit 1
fi
case "$OFFICE_TZ" in
  Asia/Jakarta|Asia/Makassar|Asia/Jayapura) ;;
  *) echo "OFFICE_TZ must be Asia/Jakarta, Asia/Makassar or Asia/Jayapura" >&2; exit 1 ;;
esac
# Where the face gallery's key lives (README.md, "The gallery key"): sealed by the TPM, or
# from the cloud at every boot (memory only), or a plain file (the card gives it away).
case "$GALLERY_KEY" in
  auto)
    if [ "$SKIP_SYSTEM" -eq 0 ] && [ -e /dev/tpmrm0 ] && systemd-creds has-tpm2 >/dev/null 2>&1; then
      GALLERY_KEY=tpm2
    else
      GALLERY_KEY=cloud
    fi ;;
  tpm2|cloud|file) ;;
  *) echo "GALLERY_KEY must be auto, tpm2, cloud or file" >&2; exit 1 ;;
esac

put() {  # put MODE SOURCE DEST: install a file under ROOT
  install -D -m "$1" "$2" "$ROOT$3"
}

echo "[1/7] boot configuration"
config_txt="$ROOT/boot/firmware/config.txt"
mkdir -p "$(dirname "$config_txt")"
touch "$config_txt"
if ! grep -q '^# Hadir kiosk' "$config_txt"; then
  cat "$HERE/boot/config-hadir.txt" >> "$config_txt"
fi
cmdline="$ROOT/boot/firmware/cmdline.txt"
if [ -f "$cmdline" ]; then
  # The UART belongs to the GPS, not to a serial console.
  sed -i 's/console=serial0,[0-9]* //' "$cmdline"
fi

echo "[2/7] gpsd, chrony, journald"
put 0644 "$HERE/gpsd/gpsd.default" /etc/default/gpsd
put 0644 "$HERE/chrony/hadir-gps.conf" /etc/chrony/conf.d/hadir-gps.conf
put 0644 "$HERE/journald/hadir.conf" /etc/systemd/journald.conf.d/hadir.conf

echo "[3/7] service user and directories"
if [ "$SKIP_SYSTEM" -eq 0 ]; then
  apt-get install -y --no-install-recommends gpsd gpsd-clients chrony python3-venv \
    python3-picamera2 chromium-browser >/dev/null
  id hadir >/dev/null 2>&1 || useradd --system --home /var/lib/hadir --shell /usr/sbin/nologin \
    --groups video,dialout hadir
fi
install -d -m 0755 "$ROOT/etc/hadir"
install -d -m 0700 "$ROOT/etc/hadir/credentials"
install -d -m 0700 "$ROOT/var/lib/hadir"

echo "[4/7] credentials (gallery key: $GALLERY_KEY)"
umask 077
printf '%s' "$BROKER_PASSWORD" > "$ROOT/etc/hadir/credentials/mqtt-password"
plain="$ROOT/etc/hadir/credentials/gallery-key"
sealed="$ROOT/etc/hadir/credentials/gallery-key.cred"
dropin=/etc/systemd/system/hadir-kiosk.service.d/gallery-key.conf
case "$GALLERY_KEY" in
  tpm2)
    # sealed to this board's TPM: a copied card cannot decrypt it; an existing plain key is
    # sealed (the gallery on the card stays readable) and then destroyed
    if [ ! -s "$sealed" ]; then
      if [ "$SKIP_SYSTEM" -eq 1 ]; then
        echo "  (HADIR_ROOT: the key is sealed with the TPM on the kiosk itself)"
      else
        [ -s "$plain" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$plain"
        systemd-creds encrypt --with-key=tpm2 --name=gallery-key "$plain" "$sealed"
      fi
    fi
    if [ -s "$sealed" ] && [ -e "$plain" ]; then shred -u "$plain"; fi
    put 0644 "$HERE/systemd/gallery-key-tpm2.conf" "$dropin" ;;
  file)
    if [ ! -s "$plain" ]; then
      head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$plain"
    fi
    put 0644 "$HERE/systemd/gallery-key-file.conf" "$dropin" ;;
  cloud)
    # the key comes from the cloud at every boot and stays in memory: none on the card
    if [ -e "$plain" ]; then shred -u "$plain"; fi
    rm -f "$sealed" "$ROOT$dropin" ;;
esac
umask 022

echo "[5/7] kiosk configuration"
cat > "$ROOT/etc/hadir/hadir-edge.toml" <<TOML
# Written by provision.sh from $(basename "$PROVISION_FILE"); rerun it to change.
device_id = "$DEVICE_ID"
data_dir = "/var/lib/hadir"
# config, gallery and commands are obeyed only when signed by this key (hadir-cloud cloud-key show)
cloud_public_key = "$CLOUD_PUBLIC_KEY"

[broker]
host = "$BROKER_HOST"
port = $BROKER_PORT
username = "$DEVICE_ID"
password_file = "mqtt-password"
tls = true

[camera]
type = "picamera2"

[gps]
type = "gpsd"
host = "127.0.0.1"
port = 2947

[face]
# credential: the gallery-key credential (sealed by the TPM); cloud: from the cloud at boot
gallery_key = "$([ "$GALLERY_KEY" = cloud ] && echo cloud || echo credential)"

[office]
id = "$OFFICE_ID"
name = "$OFFICE_NAME"
tz = "$OFFICE_TZ"
lat = $OFFICE_LAT
lon = $OFFICE_LON
radius_m = $OFFICE_RADIUS_M
TOML

echo "[6/7] software and identity"
put 0644 "$HERE/systemd/hadir-kiosk.service" /etc/systemd/system/hadir-kiosk.service
put 0644 "$HERE/kiosk-browser/hadir-kiosk-browser.service" /etc/systemd/user/hadir-kiosk-browser.service
if [ "$SKIP_SYSTEM" -eq 0 ]; then
  [ -d /opt/hadir/venv ] || python3 -m venv --system-site-packages /opt/hadir/venv
  if [ -n "$WHEELS" ]; then
    /opt/hadir/venv/bin/pip install --no-index --find-links "$WHEELS" hadir-edge
    # dlib built against OpenBLAS (build-dlib-wheel.sh), when given: over dlib-bin's module
    for blas in "$WHEELS"/dlib-[0-9]*.whl; do
      [ -e "$blas" ] || continue
      /opt/hadir/venv/bin/pip install --no-index --no-deps --force-reinstall "$blas"
      /opt/hadir/venv/bin/python -c 'import dlib; print("dlib BLAS:", dlib.DLIB_USE_BLAS)'
    done
  fi
  chown -R hadir:hadir /var/lib/hadir
  runuser -u hadir -- env HADIR_EDGE_CONFIG=/etc/hadir/hadir-edge.toml \
    /opt/hadir/venv/bin/hadir-edge keygen
  pubkey="$(runuser -u hadir -- env HADIR_EDGE_CONFIG=/etc/hadir/hadir-edge.toml \
    /opt/hadir/venv/bin/hadir-edge pubkey)"
else
  pubkey="(dibuat saat boot pertama: hadir-edge pubkey)"
fi

echo "[7/7] services"
if [ "$SKIP_SYSTEM" -eq 0 ]; then
  systemctl daemon-reload
  systemctl enable --now gpsd.socket chrony.service hadir-kiosk.service
  systemctl --global enable hadir-kiosk-browser.service
fi

cat <<DONE

Kiosk $DEVICE_ID siap. Daftarkan di cloud (sekali saja):

  hadir-cloud device add --id $DEVICE_ID --office $OFFICE_ID \\
      --public-key $pubkey

Reboot untuk menerapkan config.txt (UART, PPS, kamera).
DONE
