"""Issue 13 (hardening): each test reproduces one attack on the emulator and asserts the
behaviour after the fix. Against a binary without the fix they fail.

13.1 files an attacker can plant or swap (access log, --state-dir, admin token file, the default
     admin token path); 13.2 fractions of a second too long to parse; 13.3 the Host check per
     listener and the warnings for exposed listeners; 13.4 a credential_process helper's stderr
     leaking secrets; 13.5 helpers that never finish or leave children holding the pipes;
     13.6 an access log nobody reads; 13.7 tokens minted in shifted time; 13.8 the STS transport
     (plain http, redirects, huge answers); 13.9 the container token file and per-client
     connection limits.

The emulator runs as root here: "attacker" files belong to uid 65534 (nobody). Everything listens
on and talks to 127.0.0.0/8; listeners on 0.0.0.0 and the one non-loopback STS URL run inside a
private network namespace that has only `lo`. Every process is stopped by its own PID; every
file lives in the test's tmp_path.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest_control import ROLE, imds_request, metric
from conftest_control import control_env, control_emulator  # noqa: F401 (fixtures)
from conftest_hardening import (
    NOBODY, PipedStdoutEmulator, assert_config_error, fake_process_credentials,
    file_mode, iso_in, plant, run_briefly, self_signed_certificate, snapshot, stderr_lines_with,
    write_script,
)
from conftest_hardening import process_marker, scripted_server  # noqa: F401 (fixtures)
from conftest_netns import feature_emulator, http_loopback, netns_factory, ns_http  # noqa: F401
from conftest_sources import (
    ENV_SECRET, STS_ACCESS_DENIED, ROLE_ARN, assert_one_line_exit, key_env, source_env,
)
from imds_helpers import (
    CREDS_PATH, TOKEN_HEADER, TOKEN_PATH, TTL_HEADER, binary, build_request, exchange,
    fetch_credentials, free_port, free_ports, get, get_token, iso_to_epoch, parse_response,
    put_token, request, run_proc, wait_until,
)

MD = "/latest/meta-data/"
IDENTITY_DOC = "/latest/dynamic/instance-identity/document"
CRED_DOC_PATH = CREDS_PATH + ROLE
SIX_HOURS = 6 * 3600
LONG_FRACTION = "1234567890123456789012345"  # 25 digits


# =========================================================================== shared helpers


@pytest.fixture
def home(tmp_path):
    """An empty HOME for emulators with a credential source (no ~/.aws of anyone)."""
    h = tmp_path / "src-home"
    h.mkdir(exist_ok=True)
    return h


def private_dir(path: Path, mode: int = 0o700, owner: int | None = None) -> Path:
    """A directory with exactly `mode` (umask aside), owned by `owner` when given."""
    path.mkdir()
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner, owner)
    return path


def assert_no_problems(problems: list) -> None:
    """Several independent checks of one attack: report all that failed, not only the first."""
    assert not problems, "\n".join(f"- {p}" for p in problems)


def assume_role_args(sts_url: str, *extra) -> list:
    return ["--source", "assume-role", "--role-arn", ROLE_ARN, "--session-name", "hardening",
            "--sts-endpoint", sts_url, *extra]


def process_json_script(path: Path, doc: dict) -> Path:
    """A credential_process helper that prints `doc`."""
    data = path.with_suffix(".json")
    data.write_text(json.dumps(doc))
    return write_script(path, f"#!/bin/sh\ncat '{data}'\n")


def container_status(port: int, auth: str | None, path: str = "/v2/credentials/anything") -> int:
    headers = {} if auth is None else {"Authorization": auth}
    return http_loopback("127.0.0.1", port, "GET", path, headers)[0]


def wait_for_stderr_line(emu, *words: str, timeout: float = 3.0) -> list:
    """The emulator's stderr lines containing every one of `words` (case-insensitive), waiting
    up to `timeout` s for the first; fails with the whole stderr otherwise."""
    deadline = time.monotonic() + timeout
    while not (lines := stderr_lines_with(emu.stderr_text(), *words)):
        if time.monotonic() > deadline:
            raise AssertionError(f"no stderr line with {list(words)!r} within {timeout}s:\n"
                                 f"{emu.stderr_text()[-3000:]}")
        time.sleep(0.1)
    return lines


def answer_without_asking(host: str, port: int, request_bytes: bytes, timeout: float = 3.0) -> bytes:
    """Connect and wait (1 s) for the server to speak first, as a refusal at accept does; if it
    says nothing, send `request_bytes`. Everything until the server closes."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(1.0)
        chunks = []
        try:
            first = s.recv(65536)
            chunks.append(first)
            if not first:
                return b""
        except socket.timeout:
            s.sendall(request_bytes)
        s.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


def settled_status(fetch, expected: int, timeout: float = 5.0) -> int:
    """Poll `fetch()` until it returns `expected` or `timeout` passes; the last status."""
    deadline = time.monotonic() + timeout
    while True:
        status = fetch()
        if status == expected or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


# =========================================================================== 13.1a access log


def test_access_log_symlink_to_victim_is_refused(tmp_path, emulator_env):
    """13.1a --access-log PATH where PATH is a symbolic link to a victim file: exit 2 naming
    access-log and `symbolic link`; the victim is unchanged."""
    victim = plant(tmp_path / "victim", "precious content\n", 0o644)
    before = snapshot(victim)
    link = tmp_path / "access.log"
    link.symlink_to(victim)
    r = run_briefly(["--access-log", link], emulator_env, tmp_path)
    assert_config_error(r, "access-log", "symbolic link")
    assert snapshot(victim) == before, "the victim behind the symbolic link was changed"


def test_access_log_owned_by_another_user_is_refused(tmp_path, emulator_env):
    """13.1a An existing access-log file owned by uid 65534: exit 2 naming access-log and
    `owned by`."""
    log = plant(tmp_path / "access.log", "", 0o600, owner=NOBODY)
    r = run_briefly(["--access-log", log], emulator_env, tmp_path)
    assert_config_error(r, "access-log", "owned by")


def test_new_access_log_gives_others_no_access(tmp_path, emulator):
    """13.1a A new access-log file is created without any permission for others (mode & 0o007
    == 0), even under the common umask 022."""
    log = tmp_path / "new-access.log"
    old_umask = os.umask(0o022)
    try:
        emu = emulator("--access-log", str(log))
    finally:
        os.umask(old_umask)
    get_token(emu)
    emu.wait_records(1)
    mode = file_mode(log)
    assert mode & 0o007 == 0, f"new access log has mode {oct(mode)}: others may read it"


def test_sighup_does_not_follow_a_planted_access_log_symlink(tmp_path, emulator):
    """13.1a After start the log is renamed away and a symbolic link to a victim planted at PATH;
    SIGHUP: the emulator keeps running, the victim is unchanged after more requests, stderr
    mentions `symbolic link`."""
    log = tmp_path / "access.log"
    victim = plant(tmp_path / "victim", "precious content\n", 0o644)
    before = snapshot(victim)
    emu = emulator("--access-log", str(log))
    tok = get_token(emu)
    emu.wait_records(1)
    os.rename(log, tmp_path / "access.log.1")
    log.symlink_to(victim)
    emu.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert emu.running, "SIGHUP with a planted symbolic link killed the emulator"
    for _ in range(3):
        assert get(emu, MD + "instance-id", tok).status == 200
    time.sleep(0.5)
    problems = []
    if snapshot(victim) != before:
        problems.append(f"the victim was written through the symbolic link: "
                        f"{victim.read_bytes()[:300]!r}")
    if not stderr_lines_with(emu.stderr_text(), "symbolic link"):
        problems.append(f"stderr does not mention `symbolic link`:\n{emu.stderr_text()[-2000:]}")
    if not emu.running:
        problems.append("the emulator stopped")
    assert_no_problems(problems)


# =========================================================================== 13.1b --state-dir

STATE_DIR_CASES = ["key-owned-by-nobody", "key-readable-by-others", "key-is-symlink",
                   "dir-is-symlink", "dir-owned-by-nobody", "dir-world-writable"]


@pytest.mark.parametrize("case", STATE_DIR_CASES)
def test_state_dir_refuses_unsafe_files(tmp_path, emulator_env, case):
    """13.1b (i)-(vi) --state-dir DIR refused with exit 2 when (i) DIR/token-key was planted by
    uid 65534 (`owned by` and the path), (ii) DIR/token-key is root's but mode 0644
    (`readable`, and the mode stays 0644: no silent chmod), (iii) DIR/token-key is a symbolic
    link (`symbolic link`, target unchanged), (iv) DIR is a symbolic link to a directory
    (`symbolic link`), (v) DIR belongs to uid 65534 (`owned by`), (vi) DIR has mode 0777
    (`writable`)."""
    state = tmp_path / "state"
    unchanged = []  # files whose content, mode and owner must survive the attempt
    if case.startswith("key-"):
        private_dir(state)
        key = state / "token-key"
        if case == "key-owned-by-nobody":
            plant(key, os.urandom(32), 0o600, owner=NOBODY)
            words = ["owned by", str(key)]
            unchanged.append(key)
        elif case == "key-readable-by-others":
            plant(key, os.urandom(32), 0o644)
            words = ["readable"]
            unchanged.append(key)
        else:
            victim = plant(tmp_path / "victim-key", os.urandom(32), 0o644)
            key.symlink_to(victim)
            words = ["symbolic link"]
            unchanged.append(victim)
    elif case == "dir-is-symlink":
        real = private_dir(tmp_path / "real-state")
        state.symlink_to(real, target_is_directory=True)
        words = ["symbolic link"]
    elif case == "dir-owned-by-nobody":
        private_dir(state, owner=NOBODY)
        words = ["owned by"]
    else:
        private_dir(state, 0o777)
        words = ["writable"]
    before = {p: snapshot(p) for p in unchanged}

    r = run_briefly(["--state-dir", state], emulator_env, tmp_path)
    try:
        assert_config_error(r, "state-dir", *words)
    finally:
        for p, snap in before.items():
            assert snapshot(p) == snap, f"{p} was changed (content, mode or owner)"
        if case == "dir-is-symlink":
            assert not any((tmp_path / "real-state").iterdir()), \
                "files were created through the symbolic link"


def test_revoke_does_not_follow_planted_temporary_symlinks(tmp_path, control_emulator):
    """13.1b (vii) With a valid --state-dir, symbolic links named token-key.<pid>.tmp and
    token-key.tmp planted in DIR and pointing to a victim: POST /v1/tokens/revoke answers 200,
    the victim is unchanged, and DIR/token-key is a regular 32-byte file with a new key."""
    state = private_dir(tmp_path / "state")
    emu = control_emulator("--state-dir", str(state))
    key = state / "token-key"
    old_key = key.read_bytes()
    victim = plant(tmp_path / "victim", "precious content\n", 0o644)
    before = snapshot(victim)
    for name in (f"token-key.{emu.proc.pid}.tmp", "token-key.tmp"):
        (state / name).symlink_to(victim)

    r = emu.api("POST", "/v1/tokens/revoke")
    problems = []
    if r.status != 200:
        problems.append(f"revoke answered {r!r}")
    if snapshot(victim) != before:
        problems.append(f"the victim was overwritten through a planted .tmp link "
                        f"(now {len(victim.read_bytes())} bytes, mode {oct(file_mode(victim))})")
    st = os.lstat(key)
    if not stat.S_ISREG(st.st_mode):
        problems.append(f"token-key is no longer a regular file (mode {oct(st.st_mode)}: "
                        f"{'a symbolic link' if stat.S_ISLNK(st.st_mode) else 'other'})")
    else:
        new_key = key.read_bytes()
        if len(new_key) != 32:
            problems.append(f"token-key holds {len(new_key)} bytes")
        if new_key == old_key:
            problems.append("token-key was not replaced by the revocation")
    assert_no_problems(problems)


# =========================================================================== 13.1c admin token file

ADMIN_TOKEN = "attacker-or-admin-token-0123456789abcdef"
ADMIN_TOKEN_CASES = ["owned-by-nobody", "readable-by-others", "symlink"]


@pytest.mark.parametrize("case", ADMIN_TOKEN_CASES)
def test_admin_token_file_refuses_unsafe_files(tmp_path, emulator_env, control_emulator, case):
    """13.1c --admin-listen 127.0.0.1:0 --admin-token-file F: exit 2 naming admin-token-file when F
    was planted by uid 65534 (`owned by`), is root's with mode 0644 (`readable`) or is a symbolic
    link (`symbolic link`). The same token in a root-owned 0600 regular file still works."""
    f = tmp_path / "admin.token"
    if case == "owned-by-nobody":
        plant(f, ADMIN_TOKEN + "\n", 0o600, owner=NOBODY)
        word = "owned by"
    elif case == "readable-by-others":
        plant(f, ADMIN_TOKEN + "\n", 0o644)
        word = "readable"
    else:
        target = plant(tmp_path / "real-admin.token", ADMIN_TOKEN + "\n", 0o600)
        f.symlink_to(target)
        word = "symbolic link"
    r = run_briefly(["--admin-listen", "127.0.0.1:0", "--admin-token-file", f], emulator_env,
                    tmp_path)
    assert_config_error(r, "admin-token-file", word)
    assert ADMIN_TOKEN not in r.stderr + r.stdout

    # The legitimate setup still works: a root-owned 0600 regular file.
    f.unlink()
    plant(f, ADMIN_TOKEN + "\n", 0o600)
    emu = control_emulator(token_file=f)
    good = emu.api("GET", "/v1/state", auth=f"Bearer {ADMIN_TOKEN}")
    assert good.status == 200, good


def test_admin_token_file_may_be_group_readable_as_a_kubernetes_secret(tmp_path, emulator_env, control_emulator):
    """13.1c A token file readable by its group (a Kubernetes secret mounted for the pod's
    fsGroup, mode 0640) is used; readable by every user (0604) it is refused."""
    f = plant(tmp_path / "group.token", ADMIN_TOKEN + "\n", 0o604)
    r = run_briefly(["--admin-listen", "127.0.0.1:0", "--admin-token-file", f], emulator_env, tmp_path)
    assert_config_error(r, "admin-token-file", "readable")
    f.chmod(0o640)
    emu = control_emulator(token_file=f)
    assert emu.api("GET", "/v1/state", auth=f"Bearer {ADMIN_TOKEN}").status == 200


# =========================================================================== 13.1d default token path


def test_default_admin_token_lives_in_a_private_directory(control_emulator, control_env):
    """13.1d --admin-listen without --admin-token-file and --state-dir: the token file is not
    $TMPDIR/imds-emulator-admin-<pid>.token but lives in a directory the emulator made under
    TMPDIR (mode 0700, owned by root, no pid in its name); the file has mode 0600; after SIGTERM
    both are gone."""
    tmpdir = Path(control_env["TMPDIR"])
    assert not any(tmpdir.iterdir()), "TMPDIR is not empty before the start"
    emu = control_emulator()
    pid = emu.proc.pid
    f = emu.token_file
    problems = []
    if str(f) == f"{tmpdir}/imds-emulator-admin-{pid}.token":
        problems.append(f"the token file is the predictable {f}")
    d = f.parent
    if d.resolve().parent != tmpdir.resolve():
        problems.append(f"{f} is not in a directory directly under TMPDIR {tmpdir}")
    else:
        st = os.lstat(d)
        if not stat.S_ISDIR(st.st_mode):
            problems.append(f"{d} is not a directory (mode {oct(st.st_mode)})")
        if stat.S_IMODE(st.st_mode) != 0o700:
            problems.append(f"{d} has mode {oct(stat.S_IMODE(st.st_mode))}, not 0o700")
        if st.st_uid != os.geteuid():
            problems.append(f"{d} is owned by uid {st.st_uid}")
        if str(pid) in d.name:
            problems.append(f"the directory name {d.name!r} contains the pid {pid}")
    fst = os.lstat(f)
    if not stat.S_ISREG(fst.st_mode) or stat.S_IMODE(fst.st_mode) != 0o600:
        problems.append(f"{f} has mode {oct(fst.st_mode)}, not a regular 0600 file")
    assert emu.state()["clock_offset_seconds"] == 0  # the token in the file authenticates
    assert emu.stop() == 0
    if os.path.lexists(f):
        problems.append(f"{f} is still there after SIGTERM")
    if d != tmpdir and os.path.lexists(d):
        problems.append(f"{d} is still there after SIGTERM")
    assert_no_problems(problems)


# =========================================================================== 13.2 long fractions


def test_pending_time_with_a_twenty_digit_fraction(tmp_path, emulator):
    """13.2 instance pending-time with a 20-digit fraction of a second: the emulator starts (no
    death by a signal) and the identity document's pendingTime is 2026-01-01T00:00:00Z (the
    fraction dropped, not rounded up)."""
    cfg = tmp_path / "instance.yaml"
    cfg.write_text('instance:\n  pending-time: "2026-01-01T00:00:00.99999999999999999999Z"\n')
    emu = emulator("--config", str(cfg))
    r = get(emu, IDENTITY_DOC, get_token(emu))
    assert emu.running and emu.proc.returncode is None
    assert r.status == 200, r
    assert json.loads(r.text)["pendingTime"] == "2026-01-01T00:00:00Z", r.text


def test_process_expiration_with_a_25_digit_fraction(tmp_path, home, emulator):
    """13.2 A credential_process helper whose Expiration (6 h ahead) has a 25-digit fraction:
    the emulator starts and serves exactly those keys."""
    doc = fake_process_credentials(iso_in(SIX_HOURS, LONG_FRACTION))
    script = process_json_script(tmp_path / "creds.sh", doc)
    emu = emulator("--source", "process", "--credential-process", str(script),
                   env=source_env(home))
    served = fetch_credentials(emu)
    assert (served["AccessKeyId"], served["SecretAccessKey"], served["Token"]) == (
        doc["AccessKeyId"], doc["SecretAccessKey"], doc["SessionToken"])
    assert abs(iso_to_epoch(served["Expiration"]) - (time.time() + SIX_HOURS)) < 120, served
    assert emu.running


def test_check_against_an_imds_with_a_25_digit_fraction(tmp_path, emulator_env, scripted_server):
    """13.2 `imds-emulator check URL` against a fake IMDS whose credential Expiration has a
    25-digit fraction: exits 0 or 1, never by a signal."""
    doc = fake_process_credentials(None)
    cred = {"Code": "Success", "LastUpdated": iso_in(0), "Type": "AWS-HMAC",
            "AccessKeyId": doc["AccessKeyId"], "SecretAccessKey": doc["SecretAccessKey"],
            "Token": doc["SessionToken"], "Expiration": iso_in(SIX_HOURS, LONG_FRACTION)}

    def fake_imds(h, seen):
        if seen.method == "PUT" and seen.path == TOKEN_PATH:
            h.reply(200, b"fake-imds-token-for-check")
        elif seen.path == CREDS_PATH:
            h.reply(200, b"fake-role")
        elif seen.path == CREDS_PATH + "fake-role":
            h.reply(200, json.dumps(cred, indent=2).encode(), content_type="text/plain")
        else:
            h.reply(404, b"not found")

    srv = scripted_server(fake_imds)
    r = run_proc([str(binary()), "check", srv.url], emulator_env, timeout=15, cwd=str(tmp_path))
    assert r.returncode in (0, 1), f"check ended with {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert any(s.path == CREDS_PATH + "fake-role" for s in srv.seen()), \
        "check never asked for the credential document"


# =========================================================================== 13.3 Host check


def test_host_check_stays_on_for_the_loopback_imds_listener(netns_factory, feature_emulator):
    """13.3 (i) --listen 127.0.0.1:0 --container-listen 0.0.0.0:0 (in a private namespace): a
    token GET to the loopback IMDS listener with `Host: attacker.example` gets 403, with
    `Host: 127.0.0.1:<port>` 200."""
    ns = netns_factory()
    emu = feature_emulator("--listen", "127.0.0.1:0", "--container-listen", "0.0.0.0:0", netns=ns)
    port = emu.ns_port
    base = f"http://127.0.0.1:{port}"
    real_host = f"127.0.0.1:{port}"
    put = ns_http(ns, [{"method": "PUT", "url": base + TOKEN_PATH,
                        "headers": {"Host": real_host, TTL_HEADER: "21600"}}])[0]
    assert put.get("status") == 200, put
    tok = put["body"]
    foreign, own = ns_http(ns, [
        {"method": "GET", "url": base + CRED_DOC_PATH,
         "headers": {"Host": "attacker.example", TOKEN_HEADER: tok}},
        {"method": "GET", "url": base + CRED_DOC_PATH,
         "headers": {"Host": real_host, TOKEN_HEADER: tok}},
    ])
    assert own.get("status") == 200, own
    assert foreign.get("status") == 403, \
        f"Host: attacker.example on the loopback IMDS listener -> {foreign.get('status')}"


def test_wildcard_listen_warns_not_loopback(netns_factory, feature_emulator):
    """13.3 (ii) --listen 0.0.0.0:0 (in a private namespace): stderr has a warning line with
    `0.0.0.0` and `not loopback`."""
    ns = netns_factory()
    emu = feature_emulator("--listen", "0.0.0.0:0", netns=ns)
    wait_for_stderr_line(emu, "0.0.0.0", "not loopback")


def test_container_listener_without_token_file_warns(emulator):
    """13.3 (iii) --container-listen 127.0.0.1:0 without --container-auth-token-file: stderr
    warns, naming container-auth-token-file."""
    emu = emulator("--container-listen", "127.0.0.1:0")
    wait_for_stderr_line(emu, "container-auth-token-file")


def test_control_api_checks_the_host_header(control_emulator):
    """13.3 (iv) The control API on 127.0.0.1:0: an authenticated GET /v1/state with
    `Host: attacker.example` gets 403, with the real host 200."""
    emu = control_emulator()
    own = emu.api("GET", "/v1/state", headers={"Host": f"127.0.0.1:{emu.admin_port}"})
    assert own.status == 200, own
    foreign = emu.api("GET", "/v1/state", headers={"Host": "attacker.example"})
    assert foreign.status == 403, f"Host: attacker.example on the control API -> {foreign!r}"


# =========================================================================== 13.4 helper stderr

HELPER_SECRETS = ["AQoDYXdzEJr1234567890abcdefSECRET", "hunter2hunter2"]
HELPER_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documentation example: may be shown


def test_failing_helper_stderr_is_redacted_everywhere(tmp_path, control_emulator):
    """13.4 A --lazy credential_process helper that always fails printing a token and a password
    on stderr: the credential GET answers 500; neither secret reaches the access log, /healthz
    (503, no `token=`), the emulator's stderr, /v1/state (source.last_error shows `[redacted]`)
    or the journal."""
    script = write_script(tmp_path / "failing.sh", (
        "#!/bin/sh\n"
        f"echo 'error: token={HELPER_SECRETS[0]} password: {HELPER_SECRETS[1]} "
        f"key {HELPER_KEY_ID}' >&2\n"
        "exit 1\n"))
    emu = control_emulator("--source", "process", "--credential-process", str(script), "--lazy")
    tok = get_token(emu)
    r = request(emu, "GET", CRED_DOC_PATH, [(TOKEN_HEADER, tok)], timeout=10)
    wait_until(lambda: emu.state()["source"]["last_error"], timeout=5,
               what="source.last_error in /v1/state")
    emu.wait_records(2)
    time.sleep(0.3)

    problems = []
    if r.status != 500:
        problems.append(f"the credential GET answered {r.status}, not 500")

    def leaks(where: str, text: str) -> None:
        for s in HELPER_SECRETS:
            if s in text:
                problems.append(f"{s!r} appears in {where}")

    leaks("the access log (stdout)", emu.stdout_text())
    leaks("the emulator's stderr", emu.stderr_text())
    health = emu.healthz()
    if health.status != 503:
        problems.append(f"/healthz answered {health.status}, not 503")
    leaks("the /healthz body", health.text)
    if "token=" in health.text:
        problems.append(f"the /healthz body contains `token=`: {health.text!r}")
    state = emu.state()
    last_error = state["source"]["last_error"] or ""
    if "[redacted]" not in last_error:
        problems.append(f"source.last_error shows no `[redacted]`: {last_error!r}")
    leaks("/v1/state", json.dumps(state))
    leaks("the journal", json.dumps(emu.journal_all()))
    assert_no_problems(problems)


# =========================================================================== 13.5 helper bounds

HANGING_HELPER = "#!/bin/sh\nsetsid sleep 120 &\nsleep 120\n"


def test_helper_leaving_a_child_on_the_pipes_does_not_stall_start(tmp_path, home, emulator,
                                                                  process_marker):
    """13.5 (i) --credential-process-timeout 2s; the helper starts `setsid sleep 120 &` (which
    keeps stdout/stderr open), prints valid JSON and exits 0: listening within 8 s, serving
    those keys."""
    doc = fake_process_credentials(iso_in(SIX_HOURS))
    data = tmp_path / "creds.json"
    data.write_text(json.dumps(doc))
    script = write_script(tmp_path / "leaves-child.sh",
                          f"#!/bin/sh\nsetsid sleep 120 &\ncat '{data}'\nexit 0\n")
    t0 = time.monotonic()
    emu = emulator("--source", "process", "--credential-process", process_marker.command(script),
                   "--credential-process-timeout", "2s", env=source_env(home))
    elapsed = time.monotonic() - t0
    assert elapsed < 8, f"listening only after {elapsed:.1f}s"
    assert fetch_credentials(emu)["AccessKeyId"] == doc["AccessKeyId"]


def test_hanging_helper_at_start_exits_1(tmp_path, home, process_marker):
    """13.5 (ii) --credential-process-timeout 2s, no --lazy, a helper that starts
    `setsid sleep 120 &` and then sleeps 120 s itself: exit 1 within 25 s, stderr saying it
    `did not finish within 2s`."""
    script = write_script(tmp_path / "hangs.sh", HANGING_HELPER)
    r = run_briefly(["--source", "process", "--credential-process", process_marker.command(script),
                     "--credential-process-timeout", "2s"], source_env(home), tmp_path,
                    timeout=25)
    assert r.returncode == 1, f"expected exit 1 within 25 s; {r.describe()}"
    assert "did not finish within 2s" in r.stderr.lower(), r.stderr
    assert r.elapsed < 25


def test_rotate_with_a_hanging_helper_answers_502(tmp_path, home, control_emulator,
                                                  process_marker):
    """13.5 (iii) --credential-process-timeout 2s; the helper succeeds until a flag file exists,
    then hangs (with a setsid child): POST /v1/roles/ROLE/rotate answers 502 within 10 s."""
    flag = tmp_path / "hang-now"
    doc = fake_process_credentials(iso_in(SIX_HOURS))
    data = tmp_path / "creds.json"
    data.write_text(json.dumps(doc))
    script = write_script(tmp_path / "switch.sh", (
        "#!/bin/sh\n"
        f"if [ ! -e '{flag}' ]; then cat '{data}'; exit 0; fi\n"
        "setsid sleep 120 &\nsleep 120\n"))
    emu = control_emulator("--source", "process", "--credential-process",
                           process_marker.command(script), "--credential-process-timeout", "2s",
                           env=source_env(home))
    flag.touch()
    t0 = time.monotonic()
    try:
        r = emu.api("POST", f"/v1/roles/{ROLE}/rotate", timeout=10)
    except (socket.timeout, TimeoutError):
        pytest.fail("rotate got no answer within 10 s")
    elapsed = time.monotonic() - t0
    assert r.status == 502, r
    assert elapsed < 10, f"rotate took {elapsed:.1f}s"


# =========================================================================== 13.6 access log pipe


def test_unread_stdout_does_not_block_the_loop(tmp_path, control_env):
    """13.6 serve with stdout (the default access log) on a pipe nobody reads: 3000 GETs with a
    2000-byte User-Agent are all answered (200/401, none timing out), /metrics counts
    imds_access_log_dropped_total > 0, stderr warns `access log` … `dropped`, and SIGTERM ends
    it within 5 s."""
    emu = PipedStdoutEmulator([], tmp_path, "piped", control_env)
    try:
        data = build_request("GET", MD, emu.host, emu.port, ua="hardening-" + "u" * 1990)
        for i in range(3000):
            try:
                resp = exchange(emu.host, emu.port, data, timeout=2.0)
            except (AssertionError, OSError) as e:
                pytest.fail(f"request {i + 1} of 3000 was not answered: {e}")
            assert resp.status in (200, 401), f"request {i + 1}: {resp!r}"
        dropped = metric(emu.metrics(), "imds_access_log_dropped_total")
        assert dropped > 0, "imds_access_log_dropped_total is 0 or missing"
        wait_for_stderr_line(emu, "access log", "dropped")
        assert emu.stop(timeout=5) == 0
    finally:
        emu.kill()


# =========================================================================== 13.7 token cap


def test_token_minted_in_shifted_time_dies_with_reset(control_emulator):
    """13.7 PUT /v1/clock +10 years, mint a token with TTL 60, POST /v1/reset: the token then
    gets 401 (not 200 with a TTL header of ten years)."""
    emu = control_emulator()
    emu.set_clock(315360000)
    tok = get_token(emu, 60)
    first = get(emu, MD, tok)
    assert first.status == 200 and int(first.header(TTL_HEADER)) <= 60, first
    emu.reset()
    r = get(emu, MD, tok)
    assert r.status == 401, \
        f"token from the shifted clock -> {r.status}, TTL header {r.header(TTL_HEADER)!r}"


def test_ttl_header_never_exceeds_six_hours(control_emulator):
    """13.7 A 21600-s token, then the clock moved 10 years back: a 200 never carries a TTL header
    above 21600 (a 401 is fine)."""
    emu = control_emulator()
    tok = get_token(emu, 21600)
    shift = emu.api("PUT", "/v1/clock", {"offset_seconds": -315360000})
    if shift.status != 200:
        return  # the shift itself is refused: nothing can stretch the token
    r = get(emu, MD, tok)
    assert r.status in (200, 401), r
    if r.status == 200:
        ttl = int(r.header(TTL_HEADER))
        assert ttl <= 21600, f"a 200 with TTL header {ttl}"


# =========================================================================== 13.8 STS transport


def test_plain_http_sts_endpoint_off_loopback_is_refused(tmp_path, home, netns_factory,
                                                         emulator):
    """13.8 (i) --sts-endpoint http://sts.example.com/ (plain http, not loopback): exit 2 naming
    sts-endpoint and `https` (run in a namespace with only `lo`, so nothing can leave even
    if it tried); http://127.0.0.1:PORT/ is accepted."""
    ns = netns_factory()
    env = source_env(home, key_env())
    r = ns.run([str(binary()), "serve", "--listen", "127.0.0.1:0",
                *assume_role_args("http://sts.example.com/")], env=env, timeout=20)
    line = assert_one_line_exit(r, 2, ["sts-endpoint"])
    assert "https" in line.lower(), line
    # A loopback plain-http endpoint (moto, a proxy) is still fine.
    emulator(*assume_role_args(f"http://127.0.0.1:{free_port()}/", "--lazy"), env=env)


def test_sts_redirect_is_not_followed(tmp_path, home, scripted_server):
    """13.8 (ii) A loopback STS answering every request with 307 to a second loopback server: the
    second server gets no request (no signed Authorization), and the emulator exits 1
    mentioning `redirect`."""
    target = scripted_server(lambda h, seen: h.reply(403, STS_ACCESS_DENIED.encode(),
                                                     content_type="text/xml"))
    sts = scripted_server(lambda h, seen: h.reply(307, b"", headers=[("Location", target.url)]))
    r = run_briefly(assume_role_args(sts.url), source_env(home, key_env()), tmp_path, timeout=20)
    leaked = [(s.method, s.path, s.headers.get("authorization")) for s in target.seen()]
    assert not leaked, f"the redirect was followed: {leaked}"
    assert sts.seen(), "the emulator never called the fake STS"
    assert r.returncode == 1, f"expected exit 1; {r.describe()}"
    assert "redirect" in r.stderr.lower(), r.stderr


STS_FLOOD_BYTES = 300 * 1024 * 1024
RSS_LIMIT_KIB = 200 * 1024


def _flood(with_length: bool):
    """An STS that answers 300 MB, generated chunk by chunk (never held in memory)."""
    chunk = b"<AssumeRoleResponse>" + b"A" * (65536 - 20)

    def answer(h, seen):
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        if with_length:
            h.send_header("Content-Length", str(STS_FLOOD_BYTES))
        h.send_header("Connection", "close")
        h.end_headers()
        sent = 0
        stopping = h.server.owner.stopping
        while sent < STS_FLOOD_BYTES and not stopping.is_set():
            h.wfile.write(chunk)
            sent += len(chunk)

    return answer


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "until-close"])
def test_huge_sts_answer_is_bounded(tmp_path, home, scripted_server, with_length):
    """13.8 (iii) A loopback STS streaming a 300 MB body (with or without Content-Length): the
    emulator's peak RSS stays under 200 MB (the test kills it past that) and it exits 1 saying
    `too large` (or is still trying, without listening, when the test stops it)."""
    sts = scripted_server(_flood(with_length))
    r = run_briefly(assume_role_args(sts.url), source_env(home, key_env()), tmp_path,
                    timeout=15, rss_limit_kib=RSS_LIMIT_KIB)
    assert not r.rss_exceeded, f"peak RSS {r.peak_rss_kib} KiB > {RSS_LIMIT_KIB} KiB; {r.describe()}"
    assert not r.started, f"the emulator started on a flood answer; {r.describe()}"
    if not r.timed_out:
        assert r.returncode == 1, r.describe()
        assert "too large" in r.stderr.lower(), r.stderr


@pytest.mark.parametrize("case", ["untrusted", "trusted", "other-name"])
def test_sts_certificate_is_checked(tmp_path, home, scripted_server, case):
    """An https STS on loopback with a self-signed certificate, trusted only through
    SSL_CERT_FILE (OpenSSL's own variable, honoured as by every OpenSSL program). Untrusted: exit
    1 with `certificate verify failed` and no request sent. Trusted and for localhost: the answer
    is read (exit 1 with its AccessDenied). Trusted but for another name: exit 1 with `host name
    mismatch` and no request sent. The source keys' secret is in no message."""
    names = "DNS:sts.example.test" if case == "other-name" else "DNS:localhost,IP:127.0.0.1"
    cert, key = self_signed_certificate(tmp_path, names)
    sts = scripted_server(lambda h, seen: h.reply(403, STS_ACCESS_DENIED.encode(), content_type="text/xml"),
                          tls=(cert, key))
    env = {k: v for k, v in source_env(home, key_env()).items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    if case != "untrusted":
        env["SSL_CERT_FILE"] = str(cert)
    r = run_briefly(assume_role_args(sts.url), env, tmp_path, timeout=20)
    assert r.returncode == 1, f"expected exit 1; {r.describe()}"
    if case == "trusted":
        assert "AccessDenied" in r.stderr, r.stderr
        assert sts.seen(), "the emulator never called the fake STS"
    else:
        reason = "certificate verify failed" if case == "untrusted" else "host name mismatch"
        assert reason in r.stderr, r.stderr
        assert not sts.seen(), f"a request went to a server whose certificate was refused: {sts.seen()}"
    assert ENV_SECRET not in r.stderr + r.stdout


def test_without_libevent_openssl_https_fails_with_a_message_naming_it(tmp_path, home, scripted_server):
    """libevent_openssl (with libssl and libcrypto) is loaded on the first https call, not at
    start. Hidden in a mount namespace of this test's own (/dev/null bound over it), the
    emulator says which library HTTPS needs and exits 1, sending nothing and crashing not."""
    found = sorted(Path("/usr/lib").glob("*/libevent_openssl-2.1.so.7"))
    assert found, "libevent_openssl-2.1.so.7 is not installed"
    library = found[0]
    cert, key = self_signed_certificate(tmp_path, "DNS:localhost,IP:127.0.0.1")
    sts = scripted_server(lambda h, seen: h.reply(403, STS_ACCESS_DENIED.encode(), content_type="text/xml"),
                          tls=(cert, key))
    env = dict(source_env(home, key_env()), SSL_CERT_FILE=str(cert))
    hide = f"mount --bind /dev/null {library.resolve()} && exec \"$@\""
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", hide, "sh",
           str(binary()), "serve", "--listen", "127.0.0.1:0", *assume_role_args(sts.url)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30, cwd=str(tmp_path))
    assert r.returncode == 1, f"expected exit 1, got {r.returncode}: {r.stderr}"
    assert "libevent_openssl-2.1.so.7" in r.stderr and "could not be loaded" in r.stderr, r.stderr
    assert not sts.seen(), f"a request went out without TLS: {sts.seen()}"
    assert ENV_SECRET not in r.stderr + r.stdout


def test_a_synthetic_emulator_never_maps_openssl(emulator):
    """Only an https call loads libevent_openssl, libssl and libcrypto: an emulator on the
    synthetic source that has served credentials has none of them mapped."""
    emu = emulator()
    fetch_credentials(emu, ROLE)
    maps = Path(f"/proc/{emu.proc.pid}/maps").read_text()
    loaded = sorted({line.split()[-1] for line in maps.splitlines()
                     if any(name in line for name in ("libssl", "libcrypto", "libevent_openssl"))})
    assert not loaded, f"mapped without an https call: {loaded}"


# =========================================================================== 13.9 smaller


def _container(feature_emulator, token_file: Path):
    port, imds_port = free_ports(2)
    feature_emulator("--listen", f"127.0.0.1:{imds_port}", "--container-listen", f"127.0.0.1:{port}",
                     "--container-auth-token-file", str(token_file), container_port=port)
    return port


def test_container_token_file_with_crlf(tmp_path, feature_emulator):
    """13.9 (i) --container-auth-token-file holding `secret-token-value-123\\r\\n`: a request with
    `Authorization: secret-token-value-123` is served (200)."""
    f = plant(tmp_path / "container.token", "secret-token-value-123\r\n", 0o600)
    port = _container(feature_emulator, f)
    status = container_status(port, "secret-token-value-123")
    assert status == 200, f"the CRLF-terminated token -> {status}"


def test_container_token_file_deleted_or_emptied_refuses(tmp_path, feature_emulator):
    """13.9 (ii) After the token file is deleted the same request gets 403 (not 200); a new file
    with a new token: the new one works, the old gets 403; the file emptied: 403 (also for an
    empty Authorization value)."""
    old, new = "container-token-first-AAAA", "container-token-second-BBBB"
    f = plant(tmp_path / "container.token", old + "\n", 0o600)
    port = _container(feature_emulator, f)
    assert container_status(port, old) == 200
    problems = []

    f.unlink()
    status = settled_status(lambda: container_status(port, old), 403)
    if status != 403:
        problems.append(f"token file deleted: the old token still gets {status}")

    plant(f, new + "\n", 0o600)
    status = settled_status(lambda: container_status(port, new), 200)
    if status != 200:
        problems.append(f"token file re-created: the new token gets {status}")
    status = container_status(port, old)
    if status != 403:
        problems.append(f"token file re-created: the old token gets {status}")

    f.write_text("")
    status = settled_status(lambda: container_status(port, new), 403)
    if status != 403:
        problems.append(f"token file emptied: the last token still gets {status}")
    status = container_status(port, "")
    if status == 200:
        problems.append("token file emptied: an empty Authorization value gets 200")
    assert_no_problems(problems)


def test_max_connections_per_client(emulator):
    """13.9 (iii) --max-connections-per-client 4: with 4 idle connections open from 127.0.0.1 a
    5th from there gets 503 and is closed; 127.0.0.2 still gets a token; once the 4 close,
    127.0.0.1 is served again."""
    emu = emulator("--max-connections-per-client", "4")
    held = [socket.create_connection((emu.host, emu.port), timeout=3) for _ in range(4)]
    try:
        time.sleep(0.2)  # let the loop accept all four
        raw = answer_without_asking(emu.host, emu.port,
                                    build_request("GET", MD, emu.host, emu.port))
        assert raw, "the 5th connection was closed without an answer"
        assert parse_response(raw).status == 503, raw[:200]
        other = imds_request(emu, "PUT", TOKEN_PATH, headers=[(TTL_HEADER, "60")],
                             source="127.0.0.2")
        assert other.status == 200, f"127.0.0.2 was not served: {other!r}"
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 5
    while (r := put_token(emu, 60)).status != 200:
        assert time.monotonic() < deadline, f"127.0.0.1 not served again: {r!r}"
        time.sleep(0.05)
