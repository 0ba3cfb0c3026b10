#!/bin/sh
# Container entry point: fills this pod's values into the mounted config and runs
# `koukan ROLE FILE`. Placeholders: __POD_IP__ (the pod's IP, for session_uri) and
# __STORAGE_URL__ (from the Secret koukan-postgres). The result is written to /tmp (an emptyDir),
# so the root filesystem stays read-only.
set -eu
role="$1"
src="/etc/koukan/${role}.yaml"
dst="/tmp/${role}.yaml"
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
sed -e "s|__POD_IP__|$(esc "${POD_IP:-127.0.0.1}")|g" \
    -e "s|__STORAGE_URL__|$(esc "${KOUKAN_STORAGE_URL:-}")|g" "$src" > "$dst"
exec java --enable-native-access=ALL-UNNAMED ${KOUKAN_JAVA_OPTS:-} \
  -jar /opt/koukan/koukan.jar "$role" "$dst"
