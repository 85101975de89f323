#!/usr/bin/env bash
# Install the Debian packages the tests need, when they are missing:
#   chromium + chromium-driver  the map tests load every map in a real browser;
#   gdal-bin                    gdal_viewshed / gdaldem, the peers terrain is checked against;
#   util-linux                  unshare, for the device-file and full-disk tests (private mounts);
#   time                        /usr/bin/time, the benchmarks' peak-memory measure (make bench).
# As root on Debian/Ubuntu this runs apt-get; otherwise it says what to install and fails.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v gdal_viewshed >/dev/null 2>&1 || need+=(gdal-bin)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
[ -x /usr/bin/time ] || need+=(time)

if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages the tests need: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "The tests need these system packages: ${need[*]}." >&2
  echo "On Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
