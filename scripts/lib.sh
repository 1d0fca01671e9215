# Shared by the scripts: install what a fresh Debian machine lacks, then build.
# Sourced, not run.

repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root to run: $*" >&2; return 1; fi
}

# Installs Debian packages, reading the package lists once per run.
apt_install() {
    if [ -z "${IMDS_APT_UPDATED:-}" ]; then
        as_root apt-get update -qq >&2
        IMDS_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >&2
}

# libevent-dev and pkg-config are the only system packages the build needs.
ensure_build_deps() {
    if pkg-config --exists libevent 2>/dev/null; then return 0; fi
    echo "installing libevent-dev and pkg-config (apt-get)" >&2
    apt_install libevent-dev pkg-config
}

build_release() {
    ensure_build_deps
    (cd "$(repo_root)" && swift build -c release --product imds-emulator >&2)
}
