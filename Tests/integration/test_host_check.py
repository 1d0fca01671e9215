"""The Host-header check (DNS-rebinding protection) of --require-host / --allow-host.

On loopback-only listeners it is on by default: a request whose Host (case-insensitive, port
removed) is not a listen address, localhost, 169.254.169.254, [fd00:ec2::254] or an
--allow-host name gets 403 with the XHTML page and an access-log record with an `error`.
Requests without Host and aws-c-auth's port-less Host pass. Listeners on other addresses turn
the default off; those run inside a private namespace, the rest on 127.0.0.1 / ::1.
"""

from __future__ import annotations

import pytest

from conftest_netns import feature_emulator, netns_factory, ns_http  # noqa: F401 (fixtures)
from imds_helpers import (
    CREDS_PATH, TEST_UA, TOKEN_HEADER, TOKEN_PATH, TOKEN_RE, TTL_HEADER, assert_error_page,
    assert_imds_framing, binary, clean_env, exchange, free_port, get_token, ipv6_loopback_available,
    run_proc,
)

ROLE = "imds-emulator"
MD = "/latest/meta-data/"

# (method, path, needs a token)
PATHS = [
    ("PUT", TOKEN_PATH, False),
    ("GET", "/", True),
    ("GET", MD + "instance-id", True),
    ("GET", CREDS_PATH, True),
    ("GET", CREDS_PATH + ROLE, True),
    ("GET", MD + "no-such-thing", True),
]


def send(emu, method: str, path: str, host: str | None, token: str | None = None):
    """One request with exactly the given Host line (None: no Host header at all)."""
    lines = [f"{method} {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines.append(f"User-Agent: {TEST_UA}")
    if method == "PUT":
        lines.append(f"{TTL_HEADER}: 21600")
        lines.append("Content-Length: 0")
    if token is not None:
        lines.append(f"{TOKEN_HEADER}: {token}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return exchange(emu.host, emu.port, data)


def assert_allowed(emu, host: str | None) -> None:
    r = send(emu, "PUT", TOKEN_PATH, host)
    assert r.status == 200 and TOKEN_RE.match(r.text), f"Host {host!r}: token PUT -> {r!r}"
    r2 = send(emu, "GET", CREDS_PATH + ROLE, host, r.text)
    assert r2.status == 200, f"Host {host!r}: credential GET -> {r2!r}"


def assert_refused(emu, host: str, path: str = CREDS_PATH + ROLE, method: str = "GET") -> None:
    token = None if method == "PUT" else get_token(emu)
    before = len(emu.access_records())
    r = send(emu, method, path, host, token)
    assert_error_page(r, 403, "Forbidden")
    assert_imds_framing(r)
    recs = emu.wait_records(before + 1)
    rec = [x for x in recs[before:] if x.get("path") == path and x.get("method") == method]
    assert rec, recs[before:]
    assert rec[-1]["status"] == 403, rec[-1]
    assert isinstance(rec[-1].get("error"), str) and rec[-1]["error"], \
        f"refused request logged without an error member: {rec[-1]}"


# =========================================================================== default: on for loopback


@pytest.mark.parametrize("method,path,_tok", PATHS, ids=[f"{m} {p}" for m, p, _ in PATHS])
def test_foreign_host_refused_on_every_path(emulator, method, path, _tok):
    """`Host: evil.example` on a loopback listener: 403 XHTML page and an `error` in the access log."""
    emu = emulator()
    assert_refused(emu, "evil.example", path, method)


@pytest.mark.parametrize("host", [
    "evil.example:{port}", "127.0.0.2", "127.0.0.1.nip.io", "localhost.evil.example",
    "169.254.169.254.evil.example", "169.254.170.2", "[::1]", "0.0.0.0",
])
def test_other_foreign_hosts_refused(emulator, host):
    """Names that merely look like allowed ones, another loopback address, the ECS address: 403."""
    emu = emulator()
    assert_refused(emu, host.format(port=emu.port))


def test_refused_token_put_mints_nothing_usable(emulator):
    """A refused PUT has no token in its body."""
    emu = emulator()
    r = send(emu, "PUT", TOKEN_PATH, "evil.example")
    assert r.status == 403
    assert not TOKEN_RE.search(r.text), r.text


@pytest.mark.parametrize("host", [
    "127.0.0.1:{port}", "127.0.0.1", "localhost", "localhost:{port}", "LocalHost:{port}",
    "169.254.169.254", "169.254.169.254:80", "[fd00:ec2::254]", "[fd00:ec2::254]:80",
    "[FD00:EC2::254]", None,
], ids=lambda h: "no-host" if h is None else h)
def test_allowed_hosts_on_loopback(emulator, host):
    """Listen address (with or without port), localhost, the IMDS addresses, no Host: served."""
    emu = emulator()
    assert_allowed(emu, None if host is None else host.format(port=emu.port))
    recs = emu.access_records()
    assert recs and all("error" not in r for r in recs), recs


@pytest.mark.skipif(not ipv6_loopback_available(), reason="::1 cannot be bound here")
def test_ipv6_loopback_listener(emulator):
    """--listen [::1]:0: `Host: [::1]:PORT` passes, a foreign name does not."""
    emu = emulator("--listen", "[::1]:0")
    assert_allowed(emu, f"[::1]:{emu.port}")
    assert_allowed(emu, "[::1]")
    assert_refused(emu, "evil.example")


def test_second_loopback_listener_host_allowed(emulator):
    """Every listen address's host is allowed: 127.0.0.2 when listening there too."""
    emu = emulator("--listen", "127.0.0.1:0", "--listen", "127.0.0.2:0")
    assert_allowed(emu, "127.0.0.2")
    assert_allowed(emu, "127.0.0.1")


# =========================================================================== --allow-host


def test_allow_host_adds_names(emulator):
    """--allow-host imds.test (twice with another): those names pass with any port and case."""
    emu = emulator("--allow-host", "imds.test", "--allow-host", "metadata.internal")
    assert_allowed(emu, "imds.test:1234")
    assert_allowed(emu, "IMDS.Test")
    assert_allowed(emu, "metadata.internal")
    assert_refused(emu, "other.test")
    assert_allowed(emu, "localhost")


def test_allow_host_from_environment(emulator, emulator_env):
    """IMDS_EMULATOR_ALLOW_HOST=imds.test does what --allow-host does."""
    emu = emulator(env=dict(emulator_env, IMDS_EMULATOR_ALLOW_HOST="imds.test"))
    assert_allowed(emu, "imds.test:80")
    assert_refused(emu, "evil.example")


def test_host_settings_from_config_file(emulator, emulator_env, tmp_path):
    """`allow-host` and `require-host` keys of the YAML file; IMDS_EMULATOR_REQUIRE_HOST beats the file."""
    cfg = tmp_path / "hosts.yaml"
    cfg.write_text("allow-host: [imds.test]\n")
    emu = emulator("--config", str(cfg))
    assert_allowed(emu, "imds.test")
    assert_refused(emu, "evil.example")
    cfg2 = tmp_path / "off.yaml"
    cfg2.write_text("require-host: disabled\n")
    assert_allowed(emulator("--config", str(cfg2)), "evil.example")
    emu = emulator("--config", str(cfg2), env=dict(emulator_env, IMDS_EMULATOR_REQUIRE_HOST="enabled"))
    assert_refused(emu, "evil.example")


# =========================================================================== --require-host


def test_require_host_disabled_allows_anything(emulator):
    """--require-host disabled on loopback: any Host is served."""
    emu = emulator("--require-host", "disabled")
    assert_allowed(emu, "evil.example")
    assert_allowed(emu, "evil.example:9254")


def test_require_host_disabled_from_environment(emulator, emulator_env):
    """IMDS_EMULATOR_REQUIRE_HOST=disabled; and --require-host enabled overrides it."""
    env = dict(emulator_env, IMDS_EMULATOR_REQUIRE_HOST="disabled")
    assert_allowed(emulator(env=env), "evil.example")
    emu = emulator("--require-host", "enabled", env=env)
    assert_refused(emu, "evil.example")


@pytest.mark.parametrize("value", ["yes", "", "ENABLED!"])
def test_bad_require_host_exits_2(tmp_path, value):
    """--require-host takes enabled|disabled only: anything else exits 2 naming the flag."""
    home = tmp_path / "home"
    home.mkdir()
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0", "--require-host", value],
                 clean_env(home), timeout=5, cwd=str(tmp_path))
    assert r.returncode == 2, f"{r.returncode}\n{r.stderr}"
    assert "require-host" in r.stderr, r.stderr


def _ns_get(ns, port: int, host: str | None) -> tuple:
    """(PUT status, GET status) from inside the namespace to 127.0.0.1:port with that Host."""
    headers = {} if host is None else {"Host": host}
    put = ns_http(ns, [{"method": "PUT", "url": f"http://127.0.0.1:{port}{TOKEN_PATH}",
                        "headers": dict(headers, **{TTL_HEADER: "21600"})}])[0]
    assert "status" in put, put
    if put["status"] != 200:
        return put["status"], None
    got = ns_http(ns, [{"method": "GET", "url": f"http://127.0.0.1:{port}{CREDS_PATH}{ROLE}",
                        "headers": dict(headers, **{TOKEN_HEADER: put["body"]})}])[0]
    return put["status"], got.get("status")


def test_wildcard_listener_defaults_to_disabled(netns_factory, feature_emulator):
    """--listen 0.0.0.0:PORT (in a private namespace): the check is off by default, any Host passes."""
    ns = netns_factory()
    port = free_port()
    feature_emulator("--listen", f"0.0.0.0:{port}", netns=ns)
    assert _ns_get(ns, port, "evil.example") == (200, 200)
    assert _ns_get(ns, port, "imds:9254") == (200, 200)


def test_mixed_listeners_each_decide_for_themselves(netns_factory, feature_emulator):
    """One loopback and one non-loopback listener: the loopback one keeps its check (a wider
    listener beside it does not turn it off), the other has none."""
    ns = netns_factory()
    ns.ip("addr", "add", "10.254.0.1/32", "dev", "lo")
    port = free_port()
    feature_emulator("--listen", f"127.0.0.1:{port}", "--listen", f"10.254.0.1:{port}", netns=ns)
    assert _ns_get(ns, port, "evil.example") == (403, None)
    assert _ns_get(ns, port, "169.254.169.254") == (200, 200)


def test_wildcard_listener_with_require_host_enabled(netns_factory, feature_emulator):
    """--listen 0.0.0.0 --require-host enabled: a foreign Host gets 403, the IMDS address passes."""
    ns = netns_factory()
    port = free_port()
    feature_emulator("--listen", f"0.0.0.0:{port}", "--require-host", "enabled", netns=ns)
    assert _ns_get(ns, port, "evil.example") == (403, None)
    assert _ns_get(ns, port, "169.254.169.254") == (200, 200)
    assert _ns_get(ns, port, "localhost") == (200, 200)
