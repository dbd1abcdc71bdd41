#!/usr/bin/env bash
# Services the tests need, started if they are not running. Idempotent; needs no input.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "test-setup: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi
pg_isready -q -h 127.0.0.1 -p 5432 || echo "test-setup: PostgreSQL is not reachable; its tests will fail in CI" >&2

# The browser test of /api/v1/docs (tests/web/test_api_docs_browser.py) drives Debian's
# chromium; it skips without it on a developer's machine, and fails in CI, where it is installed
# here. Never `playwright install`: it downloads a browser build from outside the registries.
if [ ! -x /usr/lib/chromium/chromium ] && [ -n "${CI:-}" ]; then
  echo "test-setup: installing chromium for the browser tests"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi

# The request letters' tests (tests/letters) read PDFs with poppler-utils (pdftotext, pdfinfo,
# pdfdetach, pdffonts, pdfsig), and set Arabic and Chinese letters in Debian's Noto fonts
# (hanoix/letters/fonts.py); they skip without them on a developer's machine.
letter_packages=""
command -v pdftotext >/dev/null 2>&1 || letter_packages="$letter_packages poppler-utils"
[ -f /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf ] || letter_packages="$letter_packages fonts-noto-core"
[ -f /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ] || letter_packages="$letter_packages fonts-noto-cjk"
if [ -n "$letter_packages" ] && [ -n "${CI:-}" ]; then
  echo "test-setup: installing$letter_packages for the letters' tests"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $letter_packages >/dev/null
fi

# Backups of a node on PostgreSQL (tests/cli/test_backup_cli.py, tests/services/test_backup*.py)
# run pg_dump and pg_restore; the server's package brings them, a bare client machine may not.
if ! command -v pg_dump >/dev/null 2>&1 && [ -n "${CI:-}" ]; then
  echo "test-setup: installing postgresql-client for the backup tests"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-client >/dev/null
fi

# The keys-in-hardware tests (tests/store/test_hsm.py) make a SoftHSM2 token in a temporary
# folder and sign through it with PKCS#11; they skip without softhsm2 on a developer's machine.
if [ ! -f /usr/lib/softhsm/libsofthsm2.so ] && [ -n "${CI:-}" ]; then
  echo "test-setup: installing softhsm2 for the HSM tests"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends softhsm2 >/dev/null
fi

# vPDQ video hashing (the optional extra `video`, docs/content.md) builds against FFmpeg's
# development libraries, and its tests make videos with the ffmpeg tool (tests/content/videos.py);
# `make video`, after this script, installs the extra. The tests skip without them on a
# developer's machine, and fail in CI, where they are installed here.
video_packages=""
command -v ffmpeg >/dev/null 2>&1 || video_packages="$video_packages ffmpeg"
command -v cmake >/dev/null 2>&1 || video_packages="$video_packages cmake"
command -v g++ >/dev/null 2>&1 || video_packages="$video_packages g++"
command -v pkg-config >/dev/null 2>&1 || video_packages="$video_packages pkg-config"
pkg-config --exists libavcodec libavformat libavdevice libavfilter libavutil libswscale libswresample 2>/dev/null ||
  video_packages="$video_packages libavcodec-dev libavformat-dev libavdevice-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev"
if [ -n "$video_packages" ] && [ -n "${CI:-}" ]; then
  echo "test-setup: installing$video_packages for vPDQ and the video tests"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $video_packages >/dev/null
fi
