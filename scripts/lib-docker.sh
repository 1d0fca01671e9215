# Docker helpers for scripts/docker-test and .ci/run: a daemon that answers, and base images
# that exist even where no registry does. Sourced after lib.sh, not run.

docker_answers() { docker info >/dev/null 2>&1; }

# Starts Debian's dockerd when no daemon answers, with no bridge and no iptables rules: the
# tests run every container with --network none or --network container:NAME, so no Docker
# network is ever made. Stops it again when the calling script exits. A daemon that already
# answers (the user's own) is used as it is and never reconfigured.
ensure_docker_daemon() {
    local state=$1
    docker_answers && return 0
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        echo "installing docker.io (apt-get)" >&2
        apt_install docker.io
    fi
    if [ -S /var/run/docker.sock ] && ! docker_answers && pgrep -x dockerd >/dev/null; then
        echo "a dockerd runs but does not answer on /var/run/docker.sock; not starting another" >&2
        return 1
    fi
    echo "starting dockerd --bridge=none --iptables=false (log: $state/dockerd.log)" >&2
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    # Started directly (not through a function) so that $! is dockerd's PID (or sudo's, which
    # passes signals on).
    "${sudo[@]}" dockerd --bridge=none --iptables=false --ip6tables=false \
        --pidfile "$state/dockerd.pid" > "$state/dockerd.log" 2>&1 &
    IMDS_DOCKERD_PID=$!
    trap stop_docker_daemon EXIT
    local i
    for i in $(seq 1 120); do
        docker_answers && return 0
        kill -0 "$IMDS_DOCKERD_PID" 2>/dev/null || break
        sleep 0.5
    done
    tail -20 "$state/dockerd.log" >&2
    echo "dockerd did not come up" >&2
    return 1
}

# Ends the dockerd that ensure_docker_daemon started (by its PID), waiting for it to exit.
stop_docker_daemon() {
    [ -n "${IMDS_DOCKERD_PID:-}" ] || return 0
    kill "$IMDS_DOCKERD_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 60); do
        kill -0 "$IMDS_DOCKERD_PID" 2>/dev/null || break
        sleep 0.5
    done
    IMDS_DOCKERD_PID=
}

# The default value of `ARG NAME=value` in docker/Dockerfile.
dockerfile_arg() {
    sed -n "s/^ARG $1=//p" "$(repo_root)/docker/Dockerfile" | head -1
}

# Echoes an image that exists locally: IMAGE itself when present or pullable, otherwise the
# stand-in that the named function builds (further arguments go to it).
base_image() {
    local image=$1 make=$2; shift 2
    if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; return 0; fi
    if timeout 120 docker pull -q "$image" >/dev/null 2>&1; then echo "$image"; return 0; fi
    echo "cannot pull $image (no registry reachable?); using a stand-in built here" >&2
    "$make" "$@"
}

# The first Debian mirror this machine's apt uses (debootstrap needs one; none is hard-wired).
debian_mirror() {
    if [ -n "${IMDS_DEBIAN_MIRROR:-}" ]; then echo "$IMDS_DEBIAN_MIRROR"; return 0; fi
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)$/\1/p' \
                 -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\)[[:space:]].*/\2/p' \
        | head -1
}

# A stand-in for debian:12-slim: debootstrap's minbase bookworm, slimmed the way Debian's own
# slim images are (no documentation, manual pages or translations), with this machine's apt
# sources. Built once; kept as imds-standin/debian:bookworm-slim.
standin_debian_image() {
    local tag=imds-standin/debian:bookworm-slim
    if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return 0; fi
    command -v debootstrap >/dev/null || { echo "installing debootstrap (apt-get)" >&2; apt_install debootstrap; }
    local mirror dir
    mirror=$(debian_mirror)
    [ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt; set IMDS_DEBIAN_MIRROR" >&2; return 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/imds-standin-debian.XXXXXX")
    echo "debootstrap --variant=minbase bookworm from $mirror" >&2
    as_root debootstrap --variant=minbase bookworm "$dir" "$mirror" >&2 || { as_root rm -rf "$dir"; return 1; }
    as_root sh -s "$dir" <<'SLIM'
set -e
r=$1
cat > "$r/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
find "$r/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$r/usr/share/man/"* "$r/usr/share/info/"* "$r/usr/share/locale/"* "$r/usr/share/groff/"* \
    "$r/var/cache/apt/"*.bin "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"* \
    "$r/var/log/"*.log "$r/var/log/apt/"*
SLIM
    # This machine's apt sources (main, updates, security), not debootstrap's single line.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        as_root cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/"
        as_root rm -f "$dir/etc/apt/sources.list"
    fi
    as_root tar -C "$dir" -c . | docker import --change 'CMD ["bash"]' \
        --message "stand-in for debian:12-slim: debootstrap minbase bookworm" - "$tag" >/dev/null
    as_root rm -rf "$dir"
    echo "$tag"
}

# A stand-in for the swift:VERSION-bookworm image: the Debian image's tree, the toolchain of
# the `swift` on PATH, the packages Swift's own images install, and (when git maps GitHub to a
# local folder with url.*.insteadOf, as on machines without GitHub) that folder and mapping.
standin_swift_image() {
    local debian=$1 swift_bin toolchain version tag mirror dir cid
    swift_bin=$(readlink -f "$(command -v swift)")
    toolchain=$(dirname "$(dirname "$(dirname "$swift_bin")")")
    version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)
    tag="imds-standin/swift:${version}-bookworm"
    if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return 0; fi
    case "$toolchain" in
    /|/usr|/usr/local) echo "the Swift toolchain at $toolchain is not in a folder of its own; set SWIFT_IMAGE" >&2; return 1 ;;
    esac
    mirror=$(git config --get-regexp '^url\..*\.insteadof$' 2>/dev/null \
        | awk '$2 == "https://github.com/" { sub(/^url\./, "", $1); sub(/\.insteadof$/, "", $1); print $1; exit }')
    dir=$(mktemp -d "${TMPDIR:-/tmp}/imds-standin-swift.XXXXXX")
    cid=$(docker create "$debian" true)
    docker export "$cid" | as_root tar -x -C "$dir"
    docker rm "$cid" >/dev/null
    local paths=("${toolchain#/}")
    if [ -n "$mirror" ] && [ -d "$mirror" ]; then
        printf '[url "%s"]\n\tinsteadOf = https://github.com/\n' "$mirror" | as_root tee "$dir/etc/gitconfig" >/dev/null
        paths+=("${mirror#/}")
        echo "with the Swift package mirror $mirror" >&2
    fi
    echo "importing Swift $version from $toolchain (once per machine; a few minutes)" >&2
    as_root tar -C "$dir" -c --exclude=./dev --exclude=./.dockerenv . -C / "${paths[@]}" \
        | docker import --change "ENV PATH=$toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
            --message "Swift $version toolchain over $debian" - "$tag-toolchain" >/dev/null
    as_root rm -rf "$dir"
    # What the official swift:*-bookworm images install beside the toolchain.
    docker build --network host -t "$tag" - >&2 <<EOF
FROM $tag-toolchain
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        binutils-gold gcc git libc6-dev libcurl4-openssl-dev libedit-dev libicu-dev libncurses-dev \\
        libpython3-dev libsqlite3-dev libstdc++-12-dev libxml2-dev pkg-config tzdata uuid-dev zlib1g-dev \\
    && rm -rf /var/lib/apt/lists/*
EOF
    docker rmi "$tag-toolchain" >/dev/null 2>&1 || true
    echo "$tag"
}

# The app container of the tests: Debian's python3-boto3 and awscli (CLI v2) and curl, on the
# runtime base image. Built once per base image.
test_app_image() {
    local base=$1 tag id
    id=$(docker image inspect -f '{{.Id}}' "$base" | cut -c8-19)
    tag="imds-emulator-test-app:$id"
    if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return 0; fi
    docker build --network host -t "$tag" - >&2 <<EOF
FROM $base
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-boto3 awscli curl \\
    && rm -rf /var/lib/apt/lists/*
EOF
    echo "$tag"
}

# The docker client for a build with the named builder. BuildKit needs either the buildx
# plugin (newer clients) or a client that still has BuildKit built in (Debian's 20.10).
docker_for_builder() {
    local builder=$1; shift
    if [ "$builder" = buildkit ] && ! docker buildx version >/dev/null 2>&1 \
        && [ -x /usr/bin/docker ] && [ "$(command -v docker)" != /usr/bin/docker ]; then
        DOCKER_BUILDKIT=1 /usr/bin/docker "$@"
    elif [ "$builder" = buildkit ]; then
        DOCKER_BUILDKIT=1 docker "$@"
    else
        DOCKER_BUILDKIT=0 docker "$@"
    fi
}
