#!/usr/bin/env bash
# Unpack the Debian packages behind textmad's built-in corpora, without root and without their
# dependencies (texlive-lang-other would pull in hundreds of MB of fonts and TeX):
#   scripts/install-debian-corpora.sh [ROOT] [PACKAGE...]
# ROOT defaults to $TEXTMAD_DEBIAN_ROOT or ~/.cache/textmad/debian, where textmad looks after /.
# PACKAGE defaults to every package a built-in corpus reads: texlive-lang-other (quran-bn, quran-ur),
# texlive-lang-arabic (quran-ar, quran-en, quran-de, quran-fr, quran-fa), dasher-data (dasher-sw).
set -euo pipefail

root="${1:-${TEXTMAD_DEBIAN_ROOT:-$HOME/.cache/textmad/debian}}"
shift || true
if [ "$#" -gt 0 ]; then packages=("$@"); else packages=(texlive-lang-other texlive-lang-arabic dasher-data); fi

for tool in apt-get dpkg dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found; this script needs a Debian or Ubuntu system" >&2; exit 1; }
done

mkdir -p "$root"
root="$(cd "$root" && pwd)"
work="$(mktemp -d)"  # private: mode 0700, owned by whoever runs the script
trap 'rm -rf "$work"' EXIT
cd "$work"
# Started as root, apt-get download drops to the _apt user, who must be able to write here: hand the
# private folder to _apt (still closed to every other user) instead of opening it to all.
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
    chown _apt "$work"
fi

for package in "${packages[@]}"; do
    if ! apt-get download "$package"; then
        echo "error: apt-get download $package failed; if apt says it cannot locate the package," \
             "refresh the package lists first: sudo apt-get update" >&2
        exit 1
    fi
    deb="$(ls "$work"/"${package}"_*.deb)"
    dpkg -x "$deb" "$root"
    echo "unpacked $package $(dpkg-deb -f "$deb" Version) into $root"
done

default_root="$HOME/.cache/textmad/debian"
if [ "$root" != "$default_root" ] && [ "$root" != "${TEXTMAD_DEBIAN_ROOT:-}" ]; then
    echo "textmad looks in / and in \$TEXTMAD_DEBIAN_ROOT (default $default_root); run: export TEXTMAD_DEBIAN_ROOT=$root"
fi
