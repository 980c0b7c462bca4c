# Sourced by the build-aux scripts: make sure the Debian packages Becquerel
# builds with are installed.  As root they are installed with apt-get;
# otherwise the exact command to run is printed and the script stops.
# The desktop app needs GTK 4, libadwaita, libshumate and libsecret; its tests need
# desktop-file-validate, appstreamcli and Xvfb (the GUI test and the
# screenshots), with the icons and the font the app is drawn with.

BQ_DEBIAN_PACKAGES="gcc meson ninja-build pkg-config python3 gettext
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libsqlite3-dev sqlite3
  libsoup-3.0-dev libsodium-dev glib-networking openssl
  valgrind
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev libshumate-dev
  desktop-file-utils appstream xvfb xauth
  adwaita-icon-theme hicolor-icon-theme librsvg2-common fonts-cantarell"

bq_ensure_deps () {
  local missing=""
  for p in $BQ_DEBIAN_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing="$missing $p"
    fi
  done
  [ -z "$missing" ] && return 0

  if [ "$(id -u)" = 0 ]; then
    echo "Installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "Becquerel needs these Debian packages:$missing" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get install$missing" >&2
    exit 1
  fi
}
