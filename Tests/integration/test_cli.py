"""The command line: configuration errors, signals, --state-dir, IPv6 and multiple listeners,
and the `check` and `env` subcommands."""

from __future__ import annotations

import json
import re
import signal
import socket
import stat
import time
from pathlib import Path

import pytest

from imds_helpers import (
    TOKEN_PATH, TOKEN_RE, TTL_HEADER, NotFoundServer, binary, build_request, clean_env,
    fetch_credentials, free_port, get, get_ok, get_token, ipv6_loopback_available,
    read_until_close, run_proc, signing_key_id,
)

MD = "/latest/meta-data/"
HAS_IPV6 = ipv6_loopback_available()


def run_emulator_cmd(args, tmp_path, timeout: float = 30.0):
    home = tmp_path / "cmd-home"
    home.mkdir(exist_ok=True)
    return run_proc([str(binary()), *args], clean_env(home), timeout=timeout, cwd=str(tmp_path))


# =========================================================================== bad configuration

BAD_FLAGS = [
    (["--hop-limit", "0"], "hop-limit"),
    (["--hop-limit", "65"], "hop-limit"),
    (["--imdsv1", "maybe"], "imdsv1"),
    (["--credential-lifetime", "6x"], "credential-lifetime"),
    (["--rotate-before", "7h"], "rotate-before"),
    (["--listen", "nonsense"], "listen"),
    (["--listen", "127.0.0.1:99999"], "listen"),
    (["--nope"], "nope"),
    (["--source", "nope"], "source"),
]


def assert_config_error(result, needle: str) -> None:
    err = result.stderr
    lines = err.strip("\n").split("\n") if err.strip() else []
    assert result.returncode == 2, f"exit {result.returncode}, stderr: {err!r}"
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}: {err!r}"
    assert needle.lower() in lines[0].lower(), f"{needle!r} not named in {lines[0]!r}"
    assert "Traceback" not in err and "Fatal error" not in err
    assert "listening on" not in err + result.stdout


@pytest.mark.parametrize("args,needle", BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_bad_flag_exits_2_with_one_line(tmp_path, args, needle):
    """Bad flags: exit 2, one stderr line naming the flag, never a stack trace, never listening."""
    listen = [] if "--listen" in args else ["--listen", "127.0.0.1:0"]
    r = run_emulator_cmd(["serve", *listen, *args], tmp_path, timeout=10)
    assert_config_error(r, needle)


BAD_FILES = [
    ("colour: blue\n", "colour"),
    ("rotate-every: soon\n", "rotate-every"),
    # Instance events (test_events.py has the good ones).
    ("events:\n  - type: maintenance\n    not-before: tomorrow\n", "events[0].not-before"),
    ("events:\n  - type: spot-interruption\n", "instance-life-cycle: spot"),
    ("events:\n  - type: maintenance\n    after: soon\n", "events[0].after"),
    ("events: nope\n", "events"),
    # What libyaml's reader refuses, in one line with the place.
    ("role: &r app\ninstance:\n  region: *r\n", "instance.region: uses a YAML alias; write the value out"),
    ("role: a\nrole: b\n", "is not valid YAML: line 2, column 1: the key 'role' appears twice in one mapping"),
    ("role: a\n b: c\n", "is not valid YAML: line 2, column 3: mapping values are not allowed in this context"),
    ("- role: a\n", "must hold a mapping of settings"),
]


@pytest.mark.parametrize("text,needle", BAD_FILES, ids=[n for _, n in BAD_FILES])
def test_bad_config_file_key_exits_2(tmp_path, text, needle):
    """Unknown keys and bad values in the YAML file are named in a one-line error."""
    cfg = tmp_path / "imds.yaml"
    cfg.write_text(text)
    r = run_emulator_cmd(["serve", "--listen", "127.0.0.1:0", "--config", str(cfg)], tmp_path,
                         timeout=10)
    assert_config_error(r, needle)


def test_missing_config_file_exits_2(tmp_path):
    """A config path that does not exist is a configuration error naming the file."""
    cfg = tmp_path / "missing-imds.yaml"
    r = run_emulator_cmd(["serve", "--listen", "127.0.0.1:0", "--config", str(cfg)], tmp_path,
                         timeout=10)
    assert_config_error(r, "missing-imds.yaml")


def test_unreadable_config_file_gives_the_system_reason(tmp_path):
    """A path that cannot be read is refused with the system's own reason."""
    r = run_emulator_cmd(["serve", "--listen", "127.0.0.1:0", "--config", str(tmp_path)], tmp_path,
                         timeout=10)
    assert_config_error(r, f"cannot read {tmp_path}: Is a directory")


def test_yaml_syntax_error_exits_2(tmp_path):
    """A YAML syntax error is a configuration error naming the file."""
    cfg = tmp_path / "broken-imds.yaml"
    cfg.write_text("instance: {region: eu-west-1\nrole: [oops\n")
    r = run_emulator_cmd(["serve", "--listen", "127.0.0.1:0", "--config", str(cfg)], tmp_path,
                         timeout=10)
    assert_config_error(r, "broken-imds.yaml")


# =========================================================================== signals


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_0_promptly(emulator, sig):
    """SIGTERM and SIGINT stop the server with exit status 0 in under 3 s."""
    emu = emulator()
    assert get_token(emu)
    t0 = time.monotonic()
    rc = emu.stop(sig, timeout=10)
    elapsed = time.monotonic() - t0
    assert rc == 0, f"exit status {rc}; stderr: {emu.stderr_text()}"
    assert elapsed < 3, f"took {elapsed:.1f}s to exit"
    with pytest.raises(OSError):
        socket.create_connection((emu.host, emu.port), timeout=2).close()


def test_sigterm_finishes_request_in_flight(emulator):
    """A request fully written when SIGTERM arrives is still answered completely; exit 0."""
    emu = emulator()
    with socket.create_connection((emu.host, emu.port), timeout=5) as s:
        time.sleep(0.2)  # let the server accept the connection
        s.sendall(build_request("PUT", TOKEN_PATH, emu.host, emu.port, [(TTL_HEADER, "21600")]))
        emu.send_signal(signal.SIGTERM)
        r = read_until_close(s, timeout=5)
    assert r.status == 200, r
    assert TOKEN_RE.match(r.text)
    assert emu.wait(timeout=3) == 0


# =========================================================================== state dir


def test_state_dir_keeps_tokens_valid_across_restart(emulator, tmp_path):
    """--state-dir: a token from a stopped process is accepted by the next; key file is 0600."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    first = emulator("--state-dir", str(state))
    tok = get_token(first)
    assert first.stop() == 0
    files = [p for p in state.rglob("*") if p.is_file()]
    assert files, "nothing written to the state dir"
    keyish = [p for p in files if "key" in p.name.lower()] or files
    for p in keyish:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == 0o600, f"{p.name} has mode {oct(mode)}"
    second = emulator("--state-dir", str(state))
    r = get(second, MD + "instance-id", tok)
    assert r.status == 200, r
    assert 21590 < int(r.header(TTL_HEADER)) <= 21600


def test_without_state_dir_tokens_die_with_the_process(emulator):
    """Without --state-dir the key is per process: the next process rejects old tokens."""
    first = emulator()
    tok = get_token(first)
    assert first.stop() == 0
    second = emulator()
    assert get(second, MD + "instance-id", tok).status == 401


# =========================================================================== listeners


@pytest.mark.skipif(not HAS_IPV6, reason="::1 cannot be bound on this machine")
def test_ipv6_listen(emulator):
    """--listen [::1]:0 serves IMDS over IPv6 (URL printed with brackets)."""
    emu = emulator("--listen", "[::1]:0")
    assert emu.url.startswith("http://[::1]:"), emu.url
    assert emu.host == "::1"
    tok = get_token(emu)
    assert fetch_credentials(emu, "imds-emulator", tok)["AccessKeyId"].startswith("ASIA")


def _target(url: str):
    from urllib.parse import urlsplit
    parts = urlsplit(url)

    class T:
        host = parts.hostname
        port = parts.port
    return T


def test_two_ipv4_listeners(emulator):
    """Two --listen flags: both addresses answer, and share one token key and one credential set."""
    emu = emulator("--listen", "127.0.0.1:0", "--listen", "127.0.0.2:0")
    assert len(emu.urls) == 2, emu.urls
    a, b = (_target(u) for u in emu.urls)
    assert {a.host, b.host} == {"127.0.0.1", "127.0.0.2"}, emu.urls
    tok = get_token(a)
    assert get(b, MD + "instance-id", tok).status == 200
    assert fetch_credentials(a, "imds-emulator") == fetch_credentials(b, "imds-emulator")


@pytest.mark.skipif(not HAS_IPV6, reason="::1 cannot be bound on this machine")
def test_ipv4_and_ipv6_listeners(emulator):
    """--listen 127.0.0.1:0 --listen [::1]:0 listens on both."""
    emu = emulator("--listen", "127.0.0.1:0", "--listen", "[::1]:0")
    assert len(emu.urls) == 2, emu.urls
    hosts = {_target(u).host for u in emu.urls}
    assert hosts == {"127.0.0.1", "::1"}, emu.urls
    for u in emu.urls:
        t = _target(u)
        assert get_ok(t, MD + "instance-id", get_token(t))


# =========================================================================== check


def test_check_ok_against_running_emulator(emulator, tmp_path):
    """`check URL` validates token, role and credentials of a live emulator: exit 0, one line."""
    emu = emulator()
    r = run_emulator_cmd(["check", emu.url], tmp_path)
    assert r.returncode == 0, f"{r.returncode}\n{r.stdout}\n{r.stderr}"
    lines = [x for x in r.stdout.splitlines() if x.strip()]
    assert len(lines) == 1, r.stdout


def test_check_fails_when_nothing_listens(tmp_path):
    """`check` against a closed port exits 1."""
    r = run_emulator_cmd(["check", f"http://127.0.0.1:{free_port()}/"], tmp_path)
    assert r.returncode == 1, f"{r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr


def test_check_fails_against_404_server(tmp_path):
    """`check` against an HTTP server that is not IMDS (404 everywhere) exits 1."""
    srv = NotFoundServer()
    try:
        r = run_emulator_cmd(["check", srv.url], tmp_path)
    finally:
        srv.close()
    assert r.returncode == 1, f"{r.returncode}\n{r.stdout}\n{r.stderr}"


# =========================================================================== env


def test_env_prints_export_lines(tmp_path):
    """`env --listen 127.0.0.1:9254` prints the endpoint export (with '/') and mentions NO_PROXY."""
    r = run_emulator_cmd(["env", "--listen", "127.0.0.1:9254"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^export AWS_EC2_METADATA_SERVICE_ENDPOINT=(['\"]?)http://127\.0\.0\.1:9254/\1$",
                     r.stdout, re.M), r.stdout
    assert "NO_PROXY" in r.stdout + r.stderr, (r.stdout, r.stderr)


BOTO_PROBE = ("import boto3, json; c = boto3.Session().get_credentials(); "
              "f = c.get_frozen_credentials(); print(json.dumps([c.method, f.access_key]))")


def test_env_output_lets_clients_find_the_emulator(emulator, run_client, aws_cli, capture_sts):
    """`eval "$(imds-emulator env --listen …)"` in a clean shell points boto3 and aws at it."""
    import sys

    emu = emulator()
    listen = f"{emu.host}:{emu.port}"
    extra = {"IMDS_BIN": str(binary()), "IMDS_LISTEN": listen}
    script = 'set -e; eval "$("$IMDS_BIN" env --listen "$IMDS_LISTEN")"; exec "$@"'
    r = run_client(["bash", "-c", script, "bash", sys.executable, "-c", BOTO_PROBE],
                   extra_env=extra)
    assert r.returncode == 0, r.stderr
    method, key = json.loads(r.stdout.strip().splitlines()[-1])
    served = fetch_credentials(emu, "imds-emulator")
    assert method == "iam-role"
    assert key == served["AccessKeyId"]

    r = run_client(["bash", "-c", script, "bash", *aws_cli, "sts", "get-caller-identity",
                    "--endpoint-url", capture_sts.url, "--region", "us-east-1"],
                   extra_env=extra, timeout=90)
    assert r.returncode == 0, r.stderr
    assert signing_key_id(capture_sts.captured[-1]["authorization"]) == served["AccessKeyId"]
    assert capture_sts.captured[-1]["security_token"] == served["Token"]


# =========================================================================== the settings table

def settings_table(tmp_path) -> list:
    r = run_emulator_cmd(["settings"], tmp_path)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_every_setting_is_a_flag_a_variable_and_in_the_readme(tmp_path):
    """One table of settings: each is a `serve` flag whose help shows the table's text and
    default, a variable that the emulator reads (a bad value names the variable), and a line of
    the README's flag list; and no flag is missing from the table."""
    table = [s for s in settings_table(tmp_path) if s["flag"]]
    assert len(table) >= 40
    helptext = " ".join(run_emulator_cmd(["serve", "--help"], tmp_path).stdout.split())
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    flags_block = readme.split("## Flags", 1)[1].split("```", 2)[1]
    for s in table:
        assert s["flag"] in helptext, s
        assert " ".join(s["help"].split()) in helptext, s
        assert s["flag"] in flags_block, f"{s['flag']} is not in the README's flag list"
    listed = set(re.findall(r"--[a-z0-9-]+", helptext)) - {"--config", "--help", "--version"}
    assert listed <= {s["flag"] for s in table}, listed - {s["flag"] for s in table}
    for s in table:
        if s["key"] in ("hop-limit", "max-connections", "rotate-every"):
            env = clean_env(tmp_path / "cmd-home")
            env[s["environment"]] = "nonsense"
            r = run_proc([str(binary()), "serve"], env, timeout=30, cwd=str(tmp_path))
            assert_config_error(r, s["environment"])


def test_the_table_agrees_with_the_parser(tmp_path):
    """Every key of the table is one the configuration reads: a bad value for it is refused
    naming that key, never as an unknown setting."""
    for s in settings_table(tmp_path):
        if s["key"] in ("instance", "events", "lazy", "serve-long-term-keys"):
            continue
        cfg = tmp_path / f"{s['key']}.yaml"
        cfg.write_text(f"{s['key']}: [1, 2]\n" if s["key"] not in ("listen", "allow-host") else f"{s['key']}: {{a: 1}}\n")
        r = run_emulator_cmd(["serve", "--config", str(cfg)], tmp_path)
        assert r.returncode == 2 and s["key"] in r.stderr and "unknown setting" not in r.stderr, (s["key"], r.stderr)


# =========================================================================== footprint

# Full Foundation brings ICU (about 30 MB of data) and its own dependencies; the emulator
# needs only FoundationEssentials.
FOUNDATION_LIBRARIES = ["libFoundation.so", "libFoundationNetworking", "libFoundationXML",
                        "libFoundationInternationalization", "_FoundationICU"]


def test_binary_links_no_full_foundation():
    """`ldd` of the binary names none of full Foundation's libraries or ICU."""
    r = run_proc(["ldd", str(binary())], clean_env(Path("/nonexistent")), timeout=30)
    assert r.returncode == 0, r.stderr
    found = [line.strip() for line in r.stdout.splitlines()
             if any(name in line for name in FOUNDATION_LIBRARIES)]
    assert not found, f"the binary links full Foundation: {found}"


def test_binary_serves_http_without_evhttp_or_libcurl():
    """Issue 15: HTTP is libevent's core plus http-parser; neither libevent's full library
    (evhttp lives there) nor libcurl's tree is loaded. STS goes through libevent_openssl,
    which (with libssl and libcrypto) is loaded on the first https call, not linked."""
    r = run_proc(["ldd", str(binary())], clean_env(Path("/nonexistent")), timeout=30)
    assert r.returncode == 0, r.stderr
    names = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert "libevent_core-2.1.so.7" in names and "libhttp_parser.so.2.9" in names, names
    assert not [n for n in names if n.startswith(("libevent-2.1", "libevent_extra", "libcurl"))], names
    assert not [n for n in names if n.startswith(("libevent_openssl", "libssl", "libcrypto"))], names
