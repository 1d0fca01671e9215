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
        as_root apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
        IMDS_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" >&2
}

# The only system packages the build needs: libevent-dev (with libevent_openssl), libssl-dev
# and libhttp-parser-dev for the STS transport and the IMDS requests, libexpat1-dev for the
# STS XML, libyaml-dev for the configuration file, and pkg-config. http-parser has no
# pkg-config file; its header stands for it.
ensure_build_deps() {
    if pkg-config --exists libevent libevent_openssl openssl expat yaml-0.1 2>/dev/null \
        && [ -e /usr/include/http_parser.h ]; then return 0; fi
    echo "installing libevent-dev, libssl-dev, libhttp-parser-dev, libexpat1-dev, libyaml-dev and pkg-config (apt-get)" >&2
    apt_install libevent-dev libssl-dev libhttp-parser-dev libexpat1-dev libyaml-dev pkg-config
}

# The static build (docker/Dockerfile, scripts/bench --static) links libstdc++ in too: the
# Swift runtime's one C++ dependency, whose shared library a static build would otherwise map
# and relocate at every start (about 1 MiB resident and 1.6 million instructions). swiftc
# names `-lstdc++` itself, so `-Xswiftc -L` points it at a folder holding only the archive,
# searched before the compiler's own. Prints that folder, made under $1.
static_libstdcxx_dir() {
    local dir=$1/static-libstdc++ archive
    archive=$(clang -print-file-name=libstdc++.a)
    [[ -f $archive ]] || { echo "libstdc++.a not found (Debian's libstdc++-12-dev has it)" >&2; return 1; }
    mkdir -p "$dir" && ln -sfn "$archive" "$dir/libstdc++.a" && echo "$dir"
}

# Commands the scripts and tests run beyond Swift, each with the Debian package that has it.
# util-linux is Essential in Debian, but a container image may lack parts of it.
TEST_TOOLS="python3:python3 ip:iproute2 sysctl:procps pgrep:procps curl:curl
taskset:util-linux unshare:util-linux mount:mount setpriv:util-linux kubectl:kubernetes-client openssl:openssl"

# Installs what the tests need that a bare Debian with Swift lacks.
ensure_test_tools() {
    local missing=() pair
    for pair in $TEST_TOOLS; do
        command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
    done
    # Debian's python3 has no venv or ensurepip without python3-venv.
    if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        missing+=(python3-venv)
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')(apt-get)" >&2
    apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
}

# The integration tests' Python packages, exactly as the lock pins them (hashes checked,
# no dependency resolution), in a venv that sees neither the system's nor the interpreter's
# site packages, so every machine runs the same versions. Made anew when the lock or the
# interpreter changes.
ensure_test_venv() {
    local venv=$1 lock=$2 want stamp
    want=$({ python3 -c 'import sys; print(sys.version)'; cat "$lock"; } | sha256sum | cut -d' ' -f1)
    stamp="$venv/imds-lock.sha256"
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    echo "making $venv from ${lock#"$(repo_root)/"} (pip, hashes checked)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    PIP_USER=0 "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input \
        --require-hashes --no-deps -r "$lock" >&2
    "$venv/bin/python" -m pip check --disable-pip-version-check >&2
    echo "$want" > "$stamp"
}

# cloud-init's EC2 datasource for the tests, from Debian's package unpacked into DEST (never
# installed: an installed cloud-init may act on the machine at its next boot). It runs with
# Debian's python3, whose libraries it needs are installed (harmless Python packages).
ensure_cloud_init() {
    local dest=$1 deb
    if [ -d "$dest/usr/lib/python3/dist-packages/cloudinit" ]; then return 0; fi
    echo "unpacking Debian's cloud-init into $dest (apt-get download; not installed)" >&2
    apt_install python3 python3-configobj python3-jinja2 python3-jsonpatch python3-jsonschema \
        python3-netifaces python3-oauthlib python3-requests python3-serial python3-yaml
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    (cd "$dest.tmp" && apt-get download cloud-init >/dev/null 2>&1) || { echo "apt-get download cloud-init failed" >&2; return 1; }
    deb=$(ls "$dest.tmp"/cloud-init_*.deb)
    dpkg -x "$deb" "$dest.tmp/root"
    rm -rf "$dest" && mv "$dest.tmp/root" "$dest" && rm -rf "$dest.tmp"
}

build_release() {
    ensure_build_deps
    (cd "$(repo_root)" && swift build -c release --product imds-emulator >&2)
}
