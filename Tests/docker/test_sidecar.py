"""The sidecar as users run it, on a real Docker engine: the image built from this tree, the
emulator joining a namespace-holding container with NET_ADMIN, and an app container in the same
namespace that has no AWS setting at all."""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (
    APP_IMAGE, IMAGE, REPORT, Containers, docker, inspect, run_app, start_sidecar, wait_healthy,
)

REPO = Path(__file__).resolve().parents[2]
CAP_NET_BIND_SERVICE = 1 << 10
IMDS_UID = 10254

BOTO3 = """
import boto3, json
c = boto3.Session().get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "key": f.access_key, "secret": f.secret_key, "token": f.token}))
"""

# Fetches credentials the way botocore's default chain does, every 0.2 s for `seconds`,
# printing one JSON line per try: an app that keeps running while the emulator restarts.
LOOP = """
import json, sys, time
from botocore.utils import InstanceMetadataFetcher
end = time.time() + float(sys.argv[1])
while time.time() < end:
    c = InstanceMetadataFetcher(timeout=1, num_attempts=1).retrieve_iam_role_credentials()
    print(json.dumps({"t": time.time(), "key": c.get("access_key", "")}), flush=True)
    time.sleep(0.2)
"""


def boto3_credentials(network: str, *env) -> dict:
    r = run_app(network, "python3", "-c", BOTO3, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def assert_served(creds: dict) -> None:
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["key"]), creds["key"]
    assert len(creds["secret"]) == 40 and len(creds["token"]) > 100


def loop_keys(name: str) -> list[dict]:
    out = docker("logs", name).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# ------------------------------------------------------------------ the image


def test_image_size_and_stripped_binary():
    """Under 120 MB, and the binary carries no symbol table."""
    size = int(inspect(IMAGE, "{{.Size}}"))
    REPORT["image size"] = f"{size / 1e6:.1f} MB"
    assert size < 120e6, f"image is {size / 1e6:.1f} MB"
    with tempfile.TemporaryDirectory() as d:
        cid = docker("create", IMAGE).stdout.strip()
        try:
            docker("cp", f"{cid}:/usr/local/bin/imds-emulator", f"{d}/bin")
        finally:
            docker("rm", cid, check=False)
        data = Path(d, "bin").read_bytes()
    REPORT["binary size"] = f"{len(data) / 1e6:.1f} MB"
    assert ".symtab" not in elf_section_names(data), "the binary is not stripped"


def test_image_carries_what_https_to_sts_loads():
    """libevent_openssl, libssl and libcrypto are loaded on the first https call, so ldd of the
    binary does not name them; the image must carry them anyway. An assume-role emulator in
    the image, with no network, gets as far as connecting to its https endpoint: the libraries
    loaded and the CA store was read; only the connection is refused."""
    r = docker("run", "--rm", "--network", "none", "--entrypoint", "/usr/local/bin/imds-emulator",
               "-e", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
               "-e", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               IMAGE, "serve", "--listen", "127.0.0.1:0", "--access-log", "off", "--source", "assume-role",
               "--role-arn", "arn:aws:iam::123456789012:role/app", "--sts-endpoint", "https://127.0.0.1:1/",
               timeout=60, check=False)
    assert r.returncode == 1, f"exit {r.returncode}: {r.stdout}{r.stderr}"
    assert "could not be loaded" not in r.stderr and "lack" not in r.stderr, r.stderr
    assert "127.0.0.1:1" in r.stderr and "refused" in r.stderr.lower(), r.stderr


def test_image_holds_libssl_but_not_libstdcxx():
    """The image's libraries are what the emulator loads: libssl and libcrypto (picked by name,
    for https), but no libstdc++, which the static build links in."""
    # The image has no ls: the shell's own glob and echo list the files.
    r = docker("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", IMAGE, "-c",
               'for f in /usr/lib/* /usr/lib/*/*; do echo "${f##*/}"; done', timeout=60)
    files = r.stdout.split()
    assert any(f.startswith("libssl.so") for f in files) and any(f.startswith("libcrypto.so") for f in files), files
    assert not [f for f in files if f.startswith("libstdc++")], f"the image carries libstdc++: {files}"


def elf_section_names(data: bytes) -> set[str]:
    """Section names of a 64-bit little-endian ELF file."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not an ELF64 LE file"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    str_off, = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)
    names = set()
    for i in range(shnum):
        name_off, = struct.unpack_from("<I", data, shoff + i * shentsize)
        end = data.index(b"\0", str_off + name_off)
        names.add(data[str_off + name_off:end].decode())
    return names


# ------------------------------------------------------------------ one sidecar, many checks


def test_both_link_local_addresses_on_lo(sidecar):
    out = docker("exec", sidecar.emulator, "ip", "-o", "addr", "show", "dev", "lo").stdout
    assert " 169.254.169.254/32 " in out, out
    assert " fd00:ec2::254/128 " in out, out
    _, err = sidecar.logs()
    assert "serving 169.254.169.254 only" not in err, err


def test_runs_as_imds_with_only_net_bind_service(sidecar):
    status = docker("exec", sidecar.emulator, "cat", "/proc/1/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Name"].strip() == "imds-emulator", fields["Name"]
    assert fields["Uid"].split() == [str(IMDS_UID)] * 4, fields["Uid"]
    assert fields["Gid"].split() == [str(IMDS_UID)] * 4, fields["Gid"]
    for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(fields[key], 16) == CAP_NET_BIND_SERVICE, f"{key} {fields[key].strip()}"
    user = docker("exec", sidecar.emulator, "getent", "passwd", str(IMDS_UID)).stdout
    assert user.startswith("imds:"), user


def test_healthy_within_10_seconds(sidecar):
    assert sidecar.healthy_after <= 10, f"healthy only {sidecar.healthy_after:.1f} s after docker run"


def test_boto3_over_ipv4_with_no_setting(sidecar):
    creds = boto3_credentials(sidecar.network)
    assert creds["method"] == "iam-role", creds["method"]
    assert_served(creds)
    recs = [r for r in sidecar.access_records() if r.get("access_key_id") == creds["key"]]
    assert recs and all(":" not in r["client"] for r in recs), recs


def test_boto3_over_ipv6(sidecar):
    creds = boto3_credentials(sidecar.network, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6")
    assert creds["method"] == "iam-role"
    assert_served(creds)
    recs = [r for r in sidecar.access_records() if r.get("access_key_id") == creds["key"]]
    assert any(":" in r["client"] for r in recs), f"no credential GET over IPv6: {recs}"


@pytest.mark.parametrize("mode", ["IPv4", "IPv6"])
def test_aws_cli_v2_with_no_setting(sidecar, mode):
    """Debian's AWS CLI v2 in the app container: the default chain finds the role credentials."""
    env = () if mode == "IPv4" else ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6",)
    r = run_app(sidecar.network, "aws", "configure", "export-credentials", "--format", "process",
                env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert_served({"key": doc["AccessKeyId"], "secret": doc["SecretAccessKey"],
                   "token": doc["SessionToken"]})
    r = run_app(sidecar.network, "aws", "configure", "list", env=env)
    assert re.search(r"access_key\s+\S+\s+iam-role", r.stdout), r.stdout + r.stderr


def test_access_log_is_json_without_secrets(sidecar):
    """Every stdout line is a JSON access record; no secret key, session token or IMDSv2 token
    appears on stdout or stderr, while the access key id may."""
    creds = boto3_credentials(sidecar.network)
    r = run_app(sidecar.network, "curl", "-sf", "-X", "PUT", "-H",
                "X-aws-ec2-metadata-token-ttl-seconds: 60", "http://169.254.169.254/latest/api/token")
    token = r.stdout.strip()
    assert r.returncode == 0 and len(token) >= 40, r.stdout + r.stderr
    r = run_app(sidecar.network, "curl", "-sf", "-H", f"X-aws-ec2-metadata-token: {token}",
                "http://169.254.169.254/latest/meta-data/instance-id")
    assert r.returncode == 0, r.stderr
    out, err = sidecar.logs()
    records = sidecar.access_records()
    assert records and all({"time", "client", "method", "path", "status"} <= r.keys() for r in records)
    for secret in (creds["secret"], creds["token"], token):
        assert secret not in out and secret not in err
    assert any(r.get("access_key_id") == creds["key"] for r in records)


# ------------------------------------------------------------------ life cycle


def test_docker_stop_exits_0_within_2_seconds(containers: Containers):
    s = start_sidecar(containers)
    wait_healthy(s.emulator)
    t0 = time.time()
    docker("stop", "-t", "10", s.emulator, timeout=30)
    took = time.time() - t0
    REPORT["docker stop"] = f"{took:.2f} s"
    assert took < 2, f"docker stop took {took:.1f} s"
    assert inspect(s.emulator, "{{.State.ExitCode}}") == "0"


def test_read_only_root_filesystem(containers: Containers):
    s = start_sidecar(containers, "--read-only")
    wait_healthy(s.emulator)
    assert inspect(s.emulator, "{{.HostConfig.ReadonlyRootfs}}") == "true"
    assert_served(boto3_credentials(s.network))


def kubernetes_security_args() -> list[str]:
    """deploy/kubernetes's securityContext for the emulator, in `docker run` terms."""
    import yaml

    doc = yaml.safe_load((REPO / "deploy" / "kubernetes" / "deployment.yaml").read_text())
    (imds,) = [c for c in doc["spec"]["template"]["spec"]["initContainers"] if c["name"] == "imds"]
    sc = imds["securityContext"]
    args = [a for cap in sc["capabilities"]["drop"] for a in ("--cap-drop", cap)]
    args += [a for cap in sc["capabilities"]["add"] for a in ("--cap-add", cap)]
    if sc.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    if "runAsUser" in sc:
        args += ["--user", str(sc["runAsUser"])]
    return args


def test_kubernetes_security_context(containers: Containers):
    """With only the capabilities the Kubernetes manifest grants, no-new-privileges and a
    read-only root, the emulator still puts both addresses on lo, drops to imds and serves."""
    args = kubernetes_security_args()
    assert "--cap-drop" in args and "no-new-privileges" in args, args
    s = start_sidecar(containers, *args)
    wait_healthy(s.emulator)
    out = docker("exec", s.emulator, "ip", "-o", "addr", "show", "dev", "lo").stdout
    assert " 169.254.169.254/32 " in out and " fd00:ec2::254/128 " in out, out
    status = docker("exec", s.emulator, "cat", "/proc/1/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Uid"].split() == [str(IMDS_UID)] * 4
    assert int(fields["CapEff"], 16) == CAP_NET_BIND_SERVICE
    assert_served(boto3_credentials(s.network))


def test_first_credentials_after_docker_run(containers: Containers):
    """An app already running in the namespace gets credentials soon after the emulator starts."""
    holder = containers.run("netns", "--network", "none", "--sysctl",
                            "net.ipv6.conf.lo.disable_ipv6=0", "--no-healthcheck", command=["hold"])
    app = containers.run("app", "--network", f"container:{holder}", image=APP_IMAGE,
                         command=["python3", "-c", LOOP, "40"])
    _wait_for_lines(app, 1)
    started = time.time()
    containers.run("imds", "--network", f"container:{holder}", "--cap-add", "NET_ADMIN",
                   "-e", "IMDS_LINK_LOCAL=1")
    first = _first_key_after(app, started, limit=20)
    REPORT["docker run -> app's first credentials"] = f"{first - started:.2f} s"
    assert first - started < 10


def _crash(c: Containers, s) -> str:
    """SIGKILL to the emulator's process from outside, as a crash: the restart policy acts."""
    os.kill(int(inspect(s.emulator, "{{.State.Pid}}")), signal.SIGKILL)
    return s.emulator


def _kill_and_start(c: Containers, s) -> str:
    """`docker kill` then `docker start`. Docker suspends a container's restart policy after
    `docker kill` (its documented rule), so the user starts it again."""
    docker("kill", s.emulator)
    docker("start", s.emulator)
    return s.emulator


def _replace(c: Containers, s) -> str:
    """A new emulator container in place of the old one, as for a new image."""
    docker("rm", "-f", s.emulator)
    return c.run("imds", "--network", s.network, "--cap-add", "NET_ADMIN",
                 "-e", "IMDS_LINK_LOCAL=1", "--restart", "always")


@pytest.mark.parametrize("event", [_crash, _kill_and_start, _replace],
                         ids=["crash-restart-policy", "docker-kill-then-start", "replaced-container"])
def test_app_survives_an_emulator_restart(containers: Containers, event):
    """The app keeps running in the held namespace and, never restarted, gets credentials again
    within 10 s, from the new emulator process (a new synthetic set)."""
    s = start_sidecar(containers, "--restart", "always")
    wait_healthy(s.emulator)
    app = containers.run("app", "--network", s.network, image=APP_IMAGE,
                         command=["python3", "-c", LOOP, "45"])
    _first_key_after(app, 0, limit=20)
    old_key = next(r["key"] for r in loop_keys(app) if r["key"])
    t0 = time.time()
    emulator = event(containers, s)
    again = None
    while time.time() < t0 + 20 and again is None:
        again = next((r for r in loop_keys(app) if r["t"] > t0 and r["key"] and r["key"] != old_key),
                     None)
        time.sleep(0.2)
    assert again, f"no new credentials within 20 s: {loop_keys(app)[-5:]}"
    REPORT[f"{event.__name__.strip('_')} -> app's credentials again"] = f"{again['t'] - t0:.2f} s"
    assert again["t"] - t0 < 10
    assert inspect(app, "{{.RestartCount}}") == "0" and inspect(app, "{{.State.Running}}") == "true"
    if event is _crash:
        assert int(inspect(emulator, "{{.RestartCount}}")) >= 1
    out = docker("exec", emulator, "ip", "-o", "addr", "show", "dev", "lo").stdout
    assert " 169.254.169.254/32 " in out and " fd00:ec2::254/128 " in out, out


def _wait_for_lines(name: str, n: int, limit: float = 30) -> None:
    t0 = time.time()
    while time.time() - t0 < limit:
        if len(loop_keys(name)) >= n:
            return
        time.sleep(0.2)
    pytest.fail(f"{name} printed nothing: {docker('logs', name, check=False).stderr}")


def _first_key_after(name: str, since: float, limit: float) -> float:
    t0 = time.time()
    while time.time() - t0 < limit:
        hit = next((r["t"] for r in loop_keys(name) if r["t"] > since and r["key"]), None)
        if hit:
            return hit
        time.sleep(0.2)
    pytest.fail(f"{name}: no credentials within {limit} s: {loop_keys(name)[-3:]}")


# ------------------------------------------------------------------ compose


def test_compose_file_is_accepted():
    """`docker compose config` (or docker-compose v1) accepts docker/compose.yaml."""
    compose = REPO / "docker" / "compose.yaml"
    for cmd in (["docker", "compose"], ["docker-compose"]):
        try:
            probe = subprocess.run([*cmd, "version"], capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            continue
        if probe.returncode != 0:
            continue
        r = subprocess.run([*cmd, "-f", str(compose), "config"], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "service:netns" in r.stdout and "net.ipv6.conf.lo.disable_ipv6" in r.stdout
        REPORT["compose"] = f"accepted by {' '.join(cmd)} ({probe.stdout.splitlines()[0].strip()})"
        return
    pytest.fail("neither `docker compose` nor docker-compose is installed (scripts/docker-test installs it)")
