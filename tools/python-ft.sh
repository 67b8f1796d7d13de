#!/usr/bin/env bash
# `make python-ft`: CPython 3.13.5 from Debian's source package (trixie), built twice
# from the one source: free-threaded (--disable-gil, PYTHON=3.13t) and with the GIL
# (PYTHON=3.13.5), so the two builds differ in nothing but the GIL. Into
# $CONCPROF_PYTHONS (default ~/.cache/concprof/pythons), outside the repository.
# Idempotent: what is built is kept; run again, it says so and stops.
set -euo pipefail

VERSION=3.13.5
CACHE="${CONCPROF_PYTHONS:-$HOME/.cache/concprof/pythons}"
SRC="$CACHE/src"
JOBS="$(nproc)"
say() { echo "python-ft: $*"; }
works() { [ -x "$1" ] && "$1" -c 'import sys' >/dev/null 2>&1; }

FT_PY="$CACHE/$VERSION-t/bin/python3.13t"
GIL_PY="$CACHE/$VERSION/bin/python3.13"
if works "$FT_PY" && works "$GIL_PY"; then
    say "already built: $FT_PY (free-threaded), $GIL_PY (GIL)"
    exit 0
fi
mkdir -p "$SRC"

tarball() { find "$SRC" -maxdepth 1 -name "python3.13_${VERSION}*.orig.tar.xz" | head -1; }
if [ -z "$(tarball)" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "python-ft: fetching the source needs root (a deb-src entry, apt-get);" \
             "or put python3.13_${VERSION}.orig.tar.xz into $SRC" >&2
        exit 2
    fi
    list=/etc/apt/sources.list.d/concprof-trixie-src.sources
    if [ ! -f "$list" ]; then
        # the mirror this machine already uses for its own release
        uris="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
        [ -n "$uris" ] || uris="$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
        [ -n "$uris" ] || { echo "python-ft: no Debian mirror found in /etc/apt" >&2; exit 2; }
        say "adding deb-src for trixie ($list)"
        printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$uris" > "$list"
    fi
    say "apt-get update"
    apt-get update -qq
    say "downloading Debian's python3.13 source package"
    (cd "$SRC" && apt-get source --download-only -qq python3.13)
    [ -n "$(tarball)" ] || { echo "python-ft: trixie's python3.13 is not $VERSION here:" \
        "$(ls "$SRC")" >&2; exit 1; }
fi

DEPS=(build-essential pkg-config libssl-dev zlib1g-dev libbz2-dev libreadline-dev
      libsqlite3-dev libffi-dev liblzma-dev uuid-dev libgdbm-dev libncurses-dev)
missing=()
for dep in "${DEPS[@]}"; do
    dpkg -s "$dep" >/dev/null 2>&1 || missing+=("$dep")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        say "installing build dependencies: ${missing[*]}"
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        say "missing build dependencies (need root to install): ${missing[*]}"
    fi
fi

tree="$SRC/Python-$VERSION"
if [ ! -f "$tree/configure" ]; then
    say "unpacking $(basename "$(tarball)")"
    tar -xf "$(tarball)" -C "$SRC"
fi

build() {  # build <name> <prefix> <interpreter> [configure options]
    local name="$1" prefix="$2" python="$3"; shift 3
    if works "$python"; then say "$name: already built ($python)"; return; fi
    local dir="$SRC/build-$name"
    rm -rf "$dir" "$prefix" && mkdir -p "$dir"
    say "$name: configure (log: $dir/build.log)"
    (cd "$dir" && "$tree/configure" --prefix="$prefix" --enable-shared --without-ensurepip \
        LDFLAGS="-Wl,-rpath,$prefix/lib" "$@") > "$dir/build.log" 2>&1
    say "$name: make -j$JOBS (about 3 minutes on two cores)"
    make -C "$dir" -j"$JOBS" >> "$dir/build.log" 2>&1
    say "$name: install into $prefix"
    make -C "$dir" install >> "$dir/build.log" 2>&1
    works "$python" || { echo "python-ft: $name did not build; see $dir/build.log" >&2; exit 1; }
    say "$name: $("$python" -c 'import sys, sysconfig; print(sys.version.split()[0], "free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else "with the GIL")')"
}
build free-threaded "$CACHE/$VERSION-t" "$FT_PY" --disable-gil
build gil "$CACHE/$VERSION" "$GIL_PY"
say "done: PYTHON=3.13t -> $FT_PY, PYTHON=$VERSION -> $GIL_PY"
