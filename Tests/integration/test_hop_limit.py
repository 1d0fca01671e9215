"""EC2's hop limit: the IP TTL / IPv6 hop limit of token PUT replies (docs/imds-behaviour.md §2.1, rule 17).

scripts/netns-hops builds client -- router -- imds namespaces; the client reaches
169.254.169.254 (and fd00:ec2::254) one router away, like a container behind a Docker bridge.
With --hop-limit 1 the router drops the token reply, so the client's PUT times out while
tokenless GETs (normal TTL) still work; with 2 the reply arrives. A sniffer inside the client
namespace reads the TTL of each reply segment. Every link-local packet stays inside the
namespaces made here.
"""

from __future__ import annotations

import re
import time

import pytest

from conftest_netns import (  # noqa: F401 (fixtures)
    HOPS_SCRIPT, IMDS_V4, IMDS_V6, Netns, Sniffer, _run_script, feature_emulator, hops,
    ns_destroy, ns_exists, ns_unique_name,
)
from imds_helpers import TOKEN_RE, TTL_HEADER, binary, clean_env, fetch_credentials, get_token, run_proc

ROLE = "imds-emulator"
FAMILIES = {
    "ipv4": (IMDS_V4, f"http://{IMDS_V4}/", f"{IMDS_V4}:80"),
    "ipv6": (IMDS_V6, f"http://[{IMDS_V6}]/", f"[{IMDS_V6}]:80"),
}
MD_ID = "latest/meta-data/instance-id"


def curl_put_token(ns: Netns, base: str, max_time: float = 2.0):
    """(curl exit code, HTTP code, body) of a token PUT from inside `ns`."""
    r = ns.curl("-g", "-o", "-", "-w", "\n%{http_code}", "--max-time", str(max_time), "-X", "PUT",
                "-H", f"{TTL_HEADER}: 21600", base + "latest/api/token", timeout=max_time + 20)
    body, _, code = r.stdout.rpartition("\n")
    return r.returncode, code, body


def curl_get(ns: Netns, base: str, path: str, token: str | None = None, max_time: float = 2.0):
    args = ["-g", "-o", "-", "-w", "\n%{http_code}", "--max-time", str(max_time)]
    if token is not None:
        args += ["-H", f"X-aws-ec2-metadata-token: {token}"]
    r = ns.curl(*args, base + path, timeout=max_time + 20)
    body, _, code = r.stdout.rpartition("\n")
    return r.returncode, code, body


def wait_reachable(ns: Netns, base: str, timeout: float = 8.0) -> str:
    """Tokenless GET from the client until it answers 200 (IPv6 neighbour set-up); returns the body."""
    deadline = time.monotonic() + timeout
    while True:
        rc, code, body = curl_get(ns, base, MD_ID, max_time=1.5)
        if rc == 0 and code == "200":
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"tokenless GET {base}{MD_ID} from the client: curl {rc}, HTTP {code}")
        time.sleep(0.2)


def start_in_imds(feature_emulator, topo, family: str, *args, env=None):
    _, base, listen = FAMILIES[family]
    return feature_emulator("--listen", listen, "--imdsv1", "enabled", *args, netns=topo.imds,
                            env=env)


def put_records(emu) -> list:
    return [r for r in emu.access_records() if r.get("method") == "PUT"
            and r.get("path") == "/latest/api/token"]


# =========================================================================== the script


def test_netns_hops_script_builds_the_topology(tmp_path):
    """`netns-hops up P` makes P-client/P-router/P-imds as the contract says; `down P` removes them."""
    assert HOPS_SCRIPT.exists(), f"{HOPS_SCRIPT} does not exist (not built yet)"
    p = ns_unique_name()
    names = [f"{p}-client", f"{p}-router", f"{p}-imds"]
    try:
        r = _run_script(HOPS_SCRIPT, "up", p)
        assert r.returncode == 0, f"up: {r.returncode}\n{r.stdout}{r.stderr}"
        for n in names:
            assert n in r.stdout, f"up does not print {n}: {r.stdout!r}"
            assert ns_exists(n), n
        home = tmp_path
        client, router, imds = (Netns(n, home) for n in names)

        def addrs(ns):
            out = ns.ip("-o", "addr", "show").stdout
            return set(re.findall(r"\binet6? (\S+)", out))

        a = addrs(client)
        assert {"198.18.1.2/24", "fd00:198:1::2/64"} <= a, a
        a = addrs(router)
        assert {"198.18.1.1/24", "198.18.2.1/24", "fd00:198:1::1/64", "fd00:198:2::1/64"} <= a, a
        a = addrs(imds)
        assert {"198.18.2.2/24", "fd00:198:2::2/64", f"{IMDS_V4}/32", f"{IMDS_V6}/128"} <= a, a
        assert imds.lo_addresses() >= {IMDS_V4, IMDS_V6}
        assert router.sysctl("net.ipv4.ip_forward") == "1"
        assert router.sysctl("net.ipv6.conf.all.forwarding") == "1"
        assert "via 198.18.1.1" in client.ip("route", "show", "default").stdout
        assert "via fd00:198:1::1" in client.ip("-6", "route", "show", "default").stdout
        assert "via 198.18.2.1" in imds.ip("route", "show", "default").stdout
        assert "via fd00:198:2::1" in imds.ip("-6", "route", "show", "default").stdout
        # 169.254.169.254 is not local to the client: its route goes through the router.
        rg = client.ip("route", "get", IMDS_V4).stdout
        assert "via 198.18.1.1" in rg, rg
        rg = client.ip("-6", "route", "get", IMDS_V6).stdout
        assert "via fd00:198:1::1" in rg, rg
        r = _run_script(HOPS_SCRIPT, "down", p)
        assert r.returncode == 0, f"down: {r.returncode}\n{r.stdout}{r.stderr}"
        for n in names:
            assert not ns_exists(n), f"{n} still there after down"
    finally:
        for n in names:
            ns_destroy(n)


def test_netns_hops_script_usage_error():
    """A wrong sub-command exits non-zero with a message and creates nothing."""
    assert HOPS_SCRIPT.exists(), f"{HOPS_SCRIPT} does not exist (not built yet)"
    p = ns_unique_name()
    try:
        r = _run_script(HOPS_SCRIPT, "sideways", p)
        assert r.returncode != 0
        assert (r.stderr + r.stdout).strip(), "failure without a message"
        assert not ns_exists(f"{p}-client")
    finally:
        for n in ("client", "router", "imds"):
            ns_destroy(f"{p}-{n}")


# =========================================================================== one hop away


@pytest.mark.parametrize("family,args", [("ipv4", ["--hop-limit", "1"]), ("ipv6", ["--hop-limit", "1"]),
                                         ("ipv4", [])], ids=["ipv4", "ipv6", "ipv4-default"])
def test_hop_limit_1_drops_token_reply_one_router_away(hops, feature_emulator, family, args):
    """--hop-limit 1 (also the default): the client's PUT times out (curl 28) though the server answered it; GETs work."""
    topo = hops()
    _, base, _ = FAMILIES[family]
    emu = start_in_imds(feature_emulator, topo, family, *args)
    assert wait_reachable(topo.client, base).startswith("i-")
    rc, code, body = curl_put_token(topo.client, base)
    assert rc == 28, f"token PUT one hop away with --hop-limit 1: curl {rc}, HTTP {code}, {body!r}"
    # The emulator did answer (200): the reply died at the router, as on EC2.
    recs = emu.wait_records(2)
    puts = [r for r in recs if r.get("method") == "PUT"]
    assert puts and puts[-1]["status"] == 200, recs
    # A tokenless GET afterwards still gets through: only PUT replies carry the low TTL.
    rc, code, _ = curl_get(topo.client, base, MD_ID)
    assert (rc, code) == (0, "200")


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_hop_limit_2_reaches_client_one_router_away(hops, feature_emulator, family):
    """--hop-limit 2: the PUT gets 200 and a token, which then works on a GET."""
    topo = hops()
    _, base, _ = FAMILIES[family]
    start_in_imds(feature_emulator, topo, family, "--hop-limit", "2")
    wait_reachable(topo.client, base)
    rc, code, token = curl_put_token(topo.client, base)
    assert (rc, code) == (0, "200"), (rc, code, token)
    assert TOKEN_RE.match(token), token
    rc, code, role = curl_get(topo.client, base, "latest/meta-data/iam/security-credentials/", token)
    assert (rc, code, role) == (0, "200", ROLE)


def test_restart_from_hop_limit_1_to_2(hops, feature_emulator):
    """Same topology, emulator restarted: timeout with 1, token with 2."""
    topo = hops()
    _, base, _ = FAMILIES["ipv4"]
    emu = start_in_imds(feature_emulator, topo, "ipv4", "--hop-limit", "1")
    wait_reachable(topo.client, base)
    assert curl_put_token(topo.client, base)[0] == 28
    assert emu.stop() == 0
    start_in_imds(feature_emulator, topo, "ipv4", "--hop-limit", "2")
    wait_reachable(topo.client, base)
    rc, code, token = curl_put_token(topo.client, base)
    assert (rc, code) == (0, "200") and TOKEN_RE.match(token), (rc, code, token)


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ttl_on_the_wire(hops, feature_emulator, tmp_path, family):
    """--hop-limit 5: PUT reply segments arrive with TTL 4; GET replies with the system default - 1."""
    topo = hops()
    addr, base, _ = FAMILIES[family]
    start_in_imds(feature_emulator, topo, family, "--hop-limit", "5")
    wait_reachable(topo.client, base)
    if family == "ipv4":
        default = int(topo.imds.sysctl("net.ipv4.ip_default_ttl"))
    else:
        default = int(topo.imds.sysctl("net.ipv6.conf.default.hop_limit"))
    sniff = Sniffer(topo.client, addr, tmp_path)
    try:
        rc, code, token = curl_put_token(topo.client, base)
        put_segments = sniff.finish()
    finally:
        sniff.kill()
    assert (rc, code) == (0, "200"), (rc, code, token)
    data = [s for s in put_segments if s["len"] > 0]
    assert data, f"no reply data seen: {put_segments}"
    assert {s["ttl"] for s in data} == {4}, put_segments

    sniff = Sniffer(topo.client, addr, tmp_path)
    try:
        rc, code, _ = curl_get(topo.client, base, MD_ID, token)
        get_segments = sniff.finish()
    finally:
        sniff.kill()
    assert (rc, code) == (0, "200")
    data = [s for s in get_segments if s["len"] > 0]
    assert data, f"no reply data seen: {get_segments}"
    assert {s["ttl"] for s in data} == {default - 1}, get_segments


def test_hop_limit_from_environment(hops, feature_emulator, emulator_env, tmp_path):
    """IMDS_EMULATOR_HOP_LIMIT=6 sets the PUT reply TTL (arrives as 5); --hop-limit 1 beats it."""
    topo = hops()
    addr, base, _ = FAMILIES["ipv4"]
    env = dict(emulator_env, IMDS_EMULATOR_HOP_LIMIT="6")
    emu = start_in_imds(feature_emulator, topo, "ipv4", env=env)
    wait_reachable(topo.client, base)
    sniff = Sniffer(topo.client, addr, tmp_path)
    try:
        rc, code, _ = curl_put_token(topo.client, base)
        segs = sniff.finish()
    finally:
        sniff.kill()
    assert (rc, code) == (0, "200")
    assert {s["ttl"] for s in segs if s["len"] > 0} == {5}, segs
    assert emu.stop() == 0
    start_in_imds(feature_emulator, topo, "ipv4", "--hop-limit", "1", env=env)
    wait_reachable(topo.client, base)
    assert curl_put_token(topo.client, base)[0] == 28, "the flag did not override the environment"


# =========================================================================== same host


def test_hop_limit_1_on_loopback(emulator):
    """A client on the same host is 0 hops away: --hop-limit 1 still answers the PUT on loopback."""
    emu = emulator("--hop-limit", "1")
    tok = get_token(emu)
    assert TOKEN_RE.match(tok)
    assert fetch_credentials(emu, ROLE, tok)["AccessKeyId"].startswith("ASIA")


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_bad_hop_limit_in_environment_exits_2(tmp_path, value):
    """IMDS_EMULATOR_HOP_LIMIT out of 1..64 (or not a number): exit 2 naming the variable."""
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home, extra={"IMDS_EMULATOR_HOP_LIMIT": value})
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0"], env, timeout=5,
                 cwd=str(tmp_path))
    assert r.returncode == 2, f"{r.returncode}\n{r.stderr}"
    assert "IMDS_EMULATOR_HOP_LIMIT" in r.stderr, r.stderr
