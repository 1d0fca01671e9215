"""docker/entrypoint, docker/Dockerfile, docker/compose.yaml, and configuration by environment.

The entrypoint runs for real, without Docker, inside a fresh network namespace standing in for
a container's: with IMDS_LINK_LOCAL=1 it must put the IMDS addresses on that namespace's `lo`
and serve there on port 80. The Dockerfile and compose file are checked statically (pinned
images, COPY sources that exist, the health check, the sidecar and bridge services).
IMDS_EMULATOR_<KEY> variables are checked against the binary on loopback.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess

import pytest

from conftest_netns import (  # noqa: F401 (fixtures)
    ENTRYPOINT, IMDS_V4, IMDS_V6, Netns, feature_emulator, link_local_ns, netns_factory,
    ns_pids,
)
from imds_helpers import (
    CREDS_PATH, REPO, binary, clean_env, fetch_credentials, free_port, get, get_ok, get_token,
    run_proc,
)

DOCKERFILE = REPO / "docker" / "Dockerfile"
COMPOSE = REPO / "docker" / "compose.yaml"
V4_BASE = f"http://{IMDS_V4}/"
V6_BASE = f"http://[{IMDS_V6}]/"
CAP_NET_BIND_SERVICE = 1 << 10


def entrypoint_env(ns: Netns, **extra) -> dict:
    env = {k: v for k, v in ns.env().items()
           if not k.startswith("IMDS_EMULATOR_") and k not in ("IMDS_LINK_LOCAL", "IMDS_LISTEN",
                                                               "IMDS_CONFIG")}
    env["IMDS_EMULATOR_BIN"] = str(binary())
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_entrypoint(feature_emulator, ns: Netns, *args, expected: int = 2, **env):
    assert ENTRYPOINT.exists(), f"{ENTRYPOINT} does not exist (not built yet)"
    return feature_emulator(netns=ns, env=entrypoint_env(ns, **env),
                            command=[str(ENTRYPOINT), *args], expected=expected)


def ns_role(ns: Netns, base: str) -> str:
    r = ns.curl("-g", "-f", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60",
                base + "latest/api/token")
    assert r.returncode == 0, f"token PUT to {base}: {r.stderr}"
    r2 = ns.curl("-g", "-f", "-H", f"X-aws-ec2-metadata-token: {r.stdout}",
                 base + CREDS_PATH.lstrip("/"))
    assert r2.returncode == 0, r2.stderr
    return r2.stdout


def proc_status(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


# =========================================================================== entrypoint, link-local


def test_entrypoint_link_local_adds_addresses_and_serves(netns_factory, feature_emulator):
    """IMDS_LINK_LOCAL=1: both addresses appear on lo, the emulator answers on :80 with the args' role."""
    ns = netns_factory()
    assert not ({IMDS_V4, IMDS_V6} & ns.lo_addresses())
    emu = start_entrypoint(feature_emulator, ns, "--role", "from-entrypoint", IMDS_LINK_LOCAL=1)
    assert {IMDS_V4, IMDS_V6} <= ns.lo_addresses(), ns.lo_addresses()
    assert sorted(emu.urls) == sorted([f"http://{IMDS_V4}:80/", f"http://[{IMDS_V6}]:80/"]), emu.urls
    assert ns_role(ns, V4_BASE) == "from-entrypoint"
    assert ns_role(ns, V6_BASE) == "from-entrypoint"
    # No imds user on this machine: it runs as the current user (root).
    pids = ns_pids(ns.name)
    assert emu.proc.pid in pids, (emu.proc.pid, pids)
    assert os.path.realpath(f"/proc/{emu.proc.pid}/exe") == os.path.realpath(binary()), \
        "the entrypoint did not exec the emulator (its PID is not the emulator's)"
    assert proc_status(emu.proc.pid)["Uid"].split()[0] == str(os.getuid())
    # `check` is passed through as it is.
    r = ns.run([str(ENTRYPOINT), "check", V4_BASE], env=entrypoint_env(ns), timeout=30)
    assert r.returncode == 0, f"{r.returncode}\n{r.stdout}\n{r.stderr}"


def test_entrypoint_addresses_already_present(link_local_ns, feature_emulator):
    """Addresses already on lo (a restarted container): the entrypoint keeps going."""
    ns = link_local_ns()
    start_entrypoint(feature_emulator, ns, "--role", "again", IMDS_LINK_LOCAL=1)
    assert ns_role(ns, V4_BASE) == "again"
    assert ns_role(ns, V6_BASE) == "again"


def test_entrypoint_without_ipv6(netns_factory, feature_emulator):
    """IPv6 off in the namespace: a warning, and IMDS on 169.254.169.254:80 only."""
    ns = netns_factory()
    for key in ("all", "default", "lo"):
        r = ns.run(["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"], timeout=10)
        assert r.returncode == 0, r.stderr
    emu = start_entrypoint(feature_emulator, ns, "--role", "v4-only", expected=1, IMDS_LINK_LOCAL=1)
    assert ns_role(ns, V4_BASE) == "v4-only"
    assert IMDS_V4 in ns.lo_addresses()
    assert re.search(r"IPv6 is disabled on lo.*--sysctl net\.ipv6\.conf\.lo\.disable_ipv6=0",
                     emu.stderr_text()), f"no warning saying why IPv6 is off:\n{emu.stderr_text()}"
    assert emu.running


def test_entrypoint_config_file(netns_factory, feature_emulator, tmp_path):
    """IMDS_CONFIG=FILE: the entrypoint adds --config FILE."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text("role: from-config\ninstance:\n  region: eu-west-1\n")
    ns = netns_factory()
    start_entrypoint(feature_emulator, ns, IMDS_LINK_LOCAL=1, IMDS_CONFIG=cfg)
    assert ns_role(ns, V4_BASE) == "from-config"
    r = ns.curl("-f", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60",
                V4_BASE + "latest/api/token")
    r = ns.curl("-f", "-H", f"X-aws-ec2-metadata-token: {r.stdout}",
                V4_BASE + "latest/meta-data/placement/region")
    assert r.stdout == "eu-west-1", r.stdout


def test_entrypoint_default_config_path(netns_factory, feature_emulator, tmp_path):
    """/etc/imds-emulator/config.yaml is used when it exists (shown to the entrypoint through an
    overlay on /etc in a private mount namespace; the machine's /etc is untouched)."""
    ns = netns_factory()
    assert ENTRYPOINT.exists(), f"{ENTRYPOINT} does not exist (not built yet)"
    d = tmp_path / "etc-overlay"
    d.mkdir()
    cfg = tmp_path / "config.yaml"
    cfg.write_text("role: from-etc\n")
    q = shlex.quote
    script = (f"mount -t tmpfs tmpfs {q(str(d))} && mkdir -p {q(str(d))}/u/imds-emulator {q(str(d))}/w && "
              f"cp {q(str(cfg))} {q(str(d))}/u/imds-emulator/config.yaml && "
              f"mount -t overlay overlay -o lowerdir=/etc,upperdir={q(str(d))}/u,workdir={q(str(d))}/w /etc "
              f"|| exit 99; exec {q(str(ENTRYPOINT))} \"$@\"")
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "entrypoint"]
    try:
        feature_emulator(netns=ns, env=entrypoint_env(ns, IMDS_LINK_LOCAL=1), command=cmd, expected=2)
    except AssertionError as e:
        if "exited with 99" in str(e):
            pytest.skip("cannot mount an overlay on /etc here")
        raise
    assert ns_role(ns, V4_BASE) == "from-etc"
    assert not os.path.exists("/etc/imds-emulator/config.yaml")


def test_entrypoint_role_from_environment(netns_factory, feature_emulator):
    """IMDS_EMULATOR_ROLE=from-env reaches the emulator through the entrypoint."""
    ns = netns_factory()
    start_entrypoint(feature_emulator, ns, IMDS_LINK_LOCAL=1, IMDS_EMULATOR_ROLE="from-env")
    assert ns_role(ns, V4_BASE) == "from-env"


def test_entrypoint_imds_listen(netns_factory, feature_emulator):
    """Without IMDS_LINK_LOCAL it listens on IMDS_LISTEN and adds no address to lo."""
    ns = netns_factory()
    port = free_port()
    emu = start_entrypoint(feature_emulator, ns, "--role", "plain", expected=1,
                           IMDS_LISTEN=f"127.0.0.1:{port}")
    assert emu.urls == [f"http://127.0.0.1:{port}/"], emu.urls
    assert ns_role(ns, f"http://127.0.0.1:{port}/") == "plain"
    assert not ({IMDS_V4, IMDS_V6} & ns.lo_addresses()), ns.lo_addresses()


def test_entrypoint_default_listen(netns_factory, feature_emulator):
    """Neither IMDS_LINK_LOCAL nor IMDS_LISTEN: 0.0.0.0:9254 (reached on 127.0.0.1:9254 in the namespace)."""
    ns = netns_factory()
    emu = start_entrypoint(feature_emulator, ns, expected=1)
    assert emu.urls == ["http://127.0.0.1:9254/"], emu.urls
    assert ns_role(ns, "http://127.0.0.1:9254/") == "imds-emulator"


def test_entrypoint_passes_help_and_env_through(netns_factory):
    """`entrypoint --help` and `entrypoint env …` run the binary with the arguments as they are."""
    assert ENTRYPOINT.exists(), f"{ENTRYPOINT} does not exist (not built yet)"
    ns = netns_factory()  # were the arguments not passed through, it would start serving
    env = entrypoint_env(ns)
    r = ns.run([str(ENTRYPOINT), "--help"], env=env, timeout=15)
    ref = ns.run([str(binary()), "--help"], env=env, timeout=15)
    assert r.returncode == 0 and r.stdout == ref.stdout, (r.returncode, r.stdout[:300], r.stderr)
    r = ns.run([str(ENTRYPOINT), "env", "--listen", "127.0.0.1:9254"], env=env, timeout=15)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^export AWS_EC2_METADATA_SERVICE_ENDPOINT=(['\"]?)http://127\.0\.0\.1:9254/\1$",
                     r.stdout, re.M), r.stdout


def test_entrypoint_drops_to_imds_user(netns_factory, feature_emulator, tmp_path):
    """As root with an `imds` user: the emulator runs as imds with only CAP_NET_BIND_SERVICE.

    The user exists only in a private mount namespace (a copy of /etc/passwd bind-mounted)."""
    ns = netns_factory()
    assert ENTRYPOINT.exists(), f"{ENTRYPOINT} does not exist (not built yet)"
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text(open("/etc/passwd").read().rstrip("\n")
                                + "\nimds:x:10254:10254::/nonexistent:/usr/sbin/nologin\n")
    (etc / "group").write_text(open("/etc/group").read().rstrip("\n") + "\nimds:x:10254:\n")
    for f in ("passwd", "group"):
        os.chmod(etc / f, 0o644)
    script = (f"mount --bind {shlex.quote(str(etc / 'passwd'))} /etc/passwd && "
              f"mount --bind {shlex.quote(str(etc / 'group'))} /etc/group && "
              f'exec {shlex.quote(str(ENTRYPOINT))} "$@"')
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "entrypoint",
           "--role", "as-imds"]
    emu = feature_emulator(netns=ns, env=entrypoint_env(ns, IMDS_LINK_LOCAL=1), command=cmd,
                           expected=2, cwd="/")
    assert ns_role(ns, V4_BASE) == "as-imds"
    pids = [p for p in ns_pids(ns.name)
            if os.path.realpath(f"/proc/{p}/exe") == os.path.realpath(binary())]
    assert len(pids) == 1, pids
    st = proc_status(pids[0])
    assert st["Uid"].split()[:2] == ["10254", "10254"], st["Uid"]
    assert st["Gid"].split()[:2] == ["10254", "10254"], st["Gid"]
    eff, prm, bnd = (int(st[k], 16) for k in ("CapEff", "CapPrm", "CapBnd"))
    assert eff == CAP_NET_BIND_SERVICE, f"CapEff {st['CapEff']}"
    assert prm == CAP_NET_BIND_SERVICE, f"CapPrm {st['CapPrm']}"
    assert bnd == CAP_NET_BIND_SERVICE, f"CapBnd {st['CapBnd']}"
    assert emu.running


def test_entrypoint_is_posix_sh():
    """#!/bin/sh, executable, passes `dash -n`, and knows the default config path."""
    assert ENTRYPOINT.exists(), f"{ENTRYPOINT} does not exist (not built yet)"
    text = ENTRYPOINT.read_text()
    assert text.startswith("#!/bin/sh"), text.splitlines()[0]
    assert os.access(ENTRYPOINT, os.X_OK)
    for sh in ("/usr/bin/dash", "/bin/dash"):
        if os.path.exists(sh):
            r = subprocess.run([sh, "-n", str(ENTRYPOINT)], capture_output=True, text=True, timeout=10)
            assert r.returncode == 0, r.stderr
            break
    assert "/etc/imds-emulator/config.yaml" in text
    assert "[[" not in text and "function " not in text, "bash-only syntax in a POSIX sh script"


# =========================================================================== Dockerfile


def dockerfile_instructions() -> list:
    """[(INSTRUCTION, rest)] with continuation lines joined and comments dropped."""
    assert DOCKERFILE.exists(), DOCKERFILE
    out, buf = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        instr, _, rest = buf.strip().partition(" ")
        out.append((instr.upper(), rest.strip()))
        buf = ""
    return out


def _args(rest: str) -> list:
    if rest.startswith("["):
        return json.loads(rest)
    return shlex.split(rest)


def dockerfile_args() -> dict:
    """Default values of the ARGs declared before the first FROM (the base-image arguments)."""
    args = {}
    for instr, rest in dockerfile_instructions():
        if instr == "FROM":
            break
        if instr == "ARG":
            name, _, value = rest.partition("=")
            args[name.strip()] = value.strip()
    return args


def test_dockerfile_base_images_are_arguments():
    """Both base images are build arguments (SWIFT_IMAGE, RUNTIME_IMAGE) with defaults."""
    args = dockerfile_args()
    assert args.get("SWIFT_IMAGE", "").startswith("swift:"), args
    assert args.get("RUNTIME_IMAGE", "").startswith("debian:"), args
    froms = [rest.split()[0] for instr, rest in dockerfile_instructions() if instr == "FROM"]
    assert froms[0] == "${SWIFT_IMAGE}" and "${RUNTIME_IMAGE}" in froms[1:], froms


def test_dockerfile_base_images_pinned():
    """Multi-stage, every FROM names an earlier stage or an image with an explicit version tag."""
    stages, froms = [], []
    args = dockerfile_args()
    for instr, rest in dockerfile_instructions():
        if instr != "FROM":
            continue
        words = [w for w in rest.split() if not w.startswith("--")]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), words[0])
        froms.append(image)
        earlier = image.lower() in stages
        if len(words) >= 3 and words[1].lower() == "as":
            stages.append(words[2].lower())
        if earlier:
            continue
        if "@sha256:" in image or image == "scratch":
            continue
        name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
        assert tag, f"FROM {image}: no tag"
        assert tag != "latest", f"FROM {image}: latest"
        assert re.search(r"\d", tag), f"FROM {image}: tag {tag!r} is not a version"
    assert len(froms) >= 2, f"not multi-stage: {froms}"


def test_dockerfile_copy_sources_exist():
    """Every COPY/ADD source from the build context (the repository root) exists; --from names a stage."""
    stages = []
    copies = 0
    for instr, rest in dockerfile_instructions():
        if instr == "FROM":
            m = re.search(r"\s[Aa][Ss]\s+(\S+)", " " + rest)
            if m:
                stages.append(m.group(1).lower())
        if instr not in ("COPY", "ADD"):
            continue
        words = _args(rest) if rest.startswith("[") else shlex.split(rest)
        flags = [w for w in words if w.startswith("--")]
        paths = [w for w in words if not w.startswith("--")]
        assert len(paths) >= 2, rest
        src_stage = [f.split("=", 1)[1] for f in flags if f.startswith("--from=")]
        if src_stage:
            assert src_stage[0].lower() in stages, f"COPY --from={src_stage[0]}: no such stage"
            continue
        for src in paths[:-1]:
            assert glob.glob(str(REPO / src)), f"COPY source {src!r} does not exist in the repository"
            copies += 1
    assert copies, "no COPY from the build context"


def test_dockerfile_healthcheck_entrypoint_and_user():
    """HEALTHCHECK runs `imds-emulator check`; ENTRYPOINT is the copied docker/entrypoint; root at start."""
    instrs = dockerfile_instructions()
    last_from = max(i for i, (ins, _) in enumerate(instrs) if ins == "FROM")
    final = instrs[last_from:]
    hc = [rest for ins, rest in final if ins == "HEALTHCHECK"]
    assert hc, "no HEALTHCHECK in the final stage"
    if "imds-entrypoint" in hc[-1]:
        # The entrypoint's health mode knows which address this container serves.
        assert _args(hc[-1].split("CMD", 1)[1].strip())[1:] == ["health"], hc[-1]
        branch = re.search(r"(?ms)^health\)(.*?);;", ENTRYPOINT.read_text())
        assert branch and re.search(r'"\$bin" check ', branch.group(1)), "health runs no check"
    else:
        assert "imds-emulator" in hc[-1] and re.search(r"\bcheck\b", hc[-1]), hc[-1]
    interval = re.search(r"--interval=(\d+)s", hc[-1])
    assert interval and int(interval.group(1)) <= 10, f"first health result too late: {hc[-1]}"
    dest = None
    for ins, rest in instrs:
        if ins in ("COPY", "ADD"):
            words = [w for w in _args(rest) if not w.startswith("--")]
            if "docker/entrypoint" in words[:-1]:
                dest = words[-1]
    assert dest, "docker/entrypoint is not copied into the image"
    if final[0][1].split()[0] == "scratch":
        # The final root is picked by docker/minimal-root, which must take the entrypoint along.
        picks = " ".join(rest for ins, rest in instrs if ins == "RUN" and "minimal-root /rootfs" in rest)
        assert dest in picks.split(), f"minimal-root does not copy {dest}: {picks}"
        assert any(ins == "COPY" and rest.split()[:2] == ["--from=runtime", "/rootfs"]
                   for ins, rest in final), "the final stage does not copy the picked root"
        final = instrs[[i for i, (ins, _) in enumerate(instrs) if ins == "FROM"][1]:]
    ep = [rest for ins, rest in instrs[last_from:] if ins == "ENTRYPOINT"]
    assert ep, "no ENTRYPOINT"
    first = _args(ep[-1])[0]
    assert first == dest or (dest.endswith("/") and first == dest + "entrypoint"), (first, dest)
    users = [rest for ins, rest in final if ins == "USER"]
    assert not users or users[-1] in ("root", "0"), \
        f"USER {users[-1]}: the entrypoint needs root to add the link-local addresses"
    body = " ".join(rest for ins, rest in final if ins == "RUN")
    assert re.search(r"\b(useradd|adduser)\b.*\bimds\b", body), "the final stage creates no imds user"
    assert "iproute2" in body or "iproute" in body, "the entrypoint needs `ip` (iproute2)"


# =========================================================================== compose.yaml


def compose() -> dict:
    import yaml

    assert COMPOSE.exists(), COMPOSE
    doc = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(doc, dict) and isinstance(doc.get("services"), dict), doc
    return doc


def env_of(svc: dict) -> dict:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict((e.split("=", 1) + [""])[:2] for e in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def is_emulator_service(svc: dict) -> bool:
    b = svc.get("build")
    if isinstance(b, dict):
        ctx = (COMPOSE.parent / b.get("context", ".")).resolve()
        return (ctx / b.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE.resolve()
    if isinstance(b, str):
        return ((COMPOSE.parent / b).resolve() / "Dockerfile").resolve() == DOCKERFILE.resolve()
    return "imds-emulator" in str(svc.get("image", ""))


def test_compose_parses_and_builds_from_the_repo():
    """compose.yaml parses; emulator services build from docker/Dockerfile; relative paths exist."""
    services = compose()["services"]
    emus = [n for n, s in services.items() if is_emulator_service(s)]
    assert emus, "no service builds docker/Dockerfile"
    for name, svc in services.items():
        for v in svc.get("volumes") or []:
            src = v.split(":", 1)[0] if isinstance(v, str) else v.get("source", "")
            if src.startswith("."):
                assert (COMPOSE.parent / src).exists(), f"{name}: volume source {src} missing"
        img = svc.get("image")
        if img and not is_emulator_service(svc):
            assert ":" in img.split("/")[-1] and not img.endswith(":latest"), f"{name}: {img} not pinned"


def test_compose_sidecar_shares_the_emulator_namespace():
    """(a) the app and a link-local emulator (IMDS_LINK_LOCAL=1, NET_ADMIN) join one namespace
    held by a third container that runs the image's `hold` mode, sets the IPv6 sysctl and has
    no health check; the emulator restarts by itself."""
    services = compose()["services"]
    found = []
    for name, svc in services.items():
        nm = str(svc.get("network_mode") or "")
        if not nm.startswith("service:") or is_emulator_service(svc):
            continue
        holder = nm.split(":", 1)[1]
        assert holder in services, f"{name}: network_mode names unknown service {holder}"
        emus = [n for n, s in services.items()
                if s.get("network_mode") == nm and is_emulator_service(s)]
        if not emus:
            continue
        h = services[holder]
        assert h.get("command") == ["hold"], f"{holder}: not the image's hold mode"
        assert "network_mode" not in h, f"{holder} must own its namespace"
        assert str((h.get("sysctls") or {}).get("net.ipv6.conf.lo.disable_ipv6")) == "0", \
            f"{holder}: no net.ipv6.conf.lo.disable_ipv6 sysctl"
        assert (h.get("healthcheck") or {}).get("disable") is True, f"{holder}: health check on"
        for target in emus:
            emu = services[target]
            assert env_of(emu).get("IMDS_LINK_LOCAL") == "1", f"{target}: IMDS_LINK_LOCAL is not 1"
            assert "NET_ADMIN" in (emu.get("cap_add") or []), f"{target}: no cap_add NET_ADMIN"
            assert emu.get("restart") in ("always", "unless-stopped"), f"{target}: no restart policy"
        assert "AWS_EC2_METADATA_SERVICE_ENDPOINT" not in env_of(svc), \
            f"{name}: a sidecar app should need no endpoint variable"
        found.append(name)
    assert found, "no app service sharing a held namespace with a link-local emulator"


def test_compose_bridge_service_with_endpoint_variable():
    """(b) an app on a bridge network with AWS_EC2_METADATA_SERVICE_ENDPOINT=http://<emulator>:<its port>/."""
    doc = compose()
    services = doc["services"]
    networks = doc.get("networks") or {}
    found = []
    for name, svc in services.items():
        url = env_of(svc).get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        if not url:
            continue
        m = re.fullmatch(r"http://([A-Za-z0-9_.-]+):(\d+)/", url)
        assert m, f"{name}: endpoint {url!r} is not http://SERVICE:PORT/ (trailing / for awscli 2.9)"
        target, port = m.group(1), int(m.group(2))
        assert target in services, f"{name}: endpoint host {target} is not a service"
        emu = services[target]
        assert is_emulator_service(emu), f"{target} is not the emulator"
        assert "network_mode" not in svc and "network_mode" not in emu
        eenv = env_of(emu)
        assert eenv.get("IMDS_LINK_LOCAL", "0") != "1", f"{target}: link-local mode on a bridge"
        listen = eenv.get("IMDS_LISTEN", "0.0.0.0:9254")
        lhost, _, lport = listen.rpartition(":")
        assert int(lport) == port, f"{name} uses port {port}, {target} listens on {listen}"
        assert lhost not in ("127.0.0.1", "localhost", "[::1]"), f"{target} listens on loopback only"
        nets_a = set(svc.get("networks") or ["default"])
        nets_b = set(emu.get("networks") or ["default"])
        common = nets_a & nets_b
        assert common, f"{name} and {target} share no network"
        for n in common:
            driver = (networks.get(n) or {}).get("driver", "bridge")
            assert driver == "bridge", f"network {n}: driver {driver}"
        found.append(name)
    assert found, "no service reaches the emulator through AWS_EC2_METADATA_SERVICE_ENDPOINT"


# =========================================================================== IMDS_EMULATOR_* variables


def test_environment_precedence_file_env_flag(feature_emulator, emulator_env, tmp_path):
    """role: file < IMDS_EMULATOR_ROLE < --role."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("role: from-file\nimdsv1: disabled\n")
    emu = feature_emulator("--config", str(cfg))
    assert _role(emu) == "from-file"
    assert fetch_credentials(emu, "from-file")["AccessKeyId"].startswith("ASIA")
    env = dict(emulator_env, IMDS_EMULATOR_ROLE="from-env", IMDS_EMULATOR_IMDSV1="enabled")
    emu = feature_emulator("--config", str(cfg), env=env)
    assert _role(emu) == "from-env"
    assert get(emu, "/latest/meta-data/instance-id").status == 200, "IMDS_EMULATOR_IMDSV1 ignored"
    emu = feature_emulator("--config", str(cfg), "--role", "from-flag", "--imdsv1", "disabled",
                           env=env)
    assert _role(emu) == "from-flag"
    assert get(emu, "/latest/meta-data/instance-id").status == 401, "--imdsv1 did not beat the variable"


def _role(emu) -> str:
    return get_ok(emu, CREDS_PATH, get_token(emu))


def test_environment_listen(feature_emulator, emulator_env):
    """IMDS_EMULATOR_LISTEN=127.0.0.1:PORT without --listen: it listens there."""
    port = free_port()
    emu = feature_emulator(env=dict(emulator_env, IMDS_EMULATOR_LISTEN=f"127.0.0.1:{port}"),
                           auto_listen=False)
    assert emu.url == f"http://127.0.0.1:{port}/", emu.urls
    assert _role(emu) == "imds-emulator"


@pytest.mark.parametrize("var,value", [
    ("IMDS_EMULATOR_IMDSV1", "maybe"),
    ("IMDS_EMULATOR_CREDENTIAL_LIFETIME", "1s"),
    ("IMDS_EMULATOR_REQUIRE_HOST", "sometimes"),
    ("IMDS_EMULATOR_SOURCE", "nowhere"),
])
def test_bad_environment_value_exits_2(tmp_path, var, value):
    """A bad IMDS_EMULATOR_* value exits 2 with a message naming the variable."""
    home = tmp_path / "home"
    home.mkdir()
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0"],
                 clean_env(home, extra={var: value}), timeout=5, cwd=str(tmp_path))
    assert r.returncode == 2, f"{r.returncode}\n{r.stderr}"
    assert var in r.stderr, r.stderr
