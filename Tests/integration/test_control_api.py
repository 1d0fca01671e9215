"""The control API (docs/control-api.md) against the real binary: authentication and the token
file, request validation, port separation, /healthz, /v1/state, rotate, expire, the clock,
settings, token revocation, faults, the journal, reset and the metrics.

Every emulator listens on 127.0.0.1 (IMDS and control port); every request goes to loopback,
some from other loopback source addresses (127.0.0.2, 127.0.0.3) to tell clients apart.
"""

from __future__ import annotations

import base64
import json
import re
import stat
import time
from pathlib import Path

import pytest

from conftest_control import (
    ROLE, SIX_METRICS, assert_error_answer, assert_json_answer, imds_request, iso_epoch, metric,
    raw_exchange, timed_request,
)
from conftest_control import control_env, control_emulator, module_control_emulator  # noqa: F401 (fixtures)
from imds_helpers import (
    ACCESS_KEY_RE, CREDS_PATH, TOKEN_PATH, TTL_HEADER, assert_error_page, build_request,
    fetch_credentials, get, get_ok, get_token, parse_credential_doc, put_token, request,
)

CRED_DOC_PATH = CREDS_PATH + ROLE
EXT_PATH = "/latest/meta-data/iam/security-credentials-extended/"
MD = "/latest/meta-data/"
SIX_HOURS = 6 * 3600


def served(emu) -> dict:
    """The credential document IMDS serves now (token, listing, document; validated)."""
    return fetch_credentials(emu)


def comparable_state(st: dict) -> dict:
    """The parts of /v1/state an unauthenticated or rejected request must not change."""
    role = st["roles"][0]
    return {
        "clock_offset_seconds": st["clock_offset_seconds"],
        "settings": st["settings"],
        "faults": st["faults"],
        "role": {k: role.get(k) for k in ("name", "access_key_id", "last_updated", "expiration",
                                          "expired", "serve_expired")},
    }


# =========================================================================== authentication

GOOD_FAULT = {"match": "/latest/meta-data/placement/", "status": 503}


def _mutating_routes():
    return [
        ("GET", "/metrics", None),
        ("GET", "/v1/state", None),
        ("GET", "/v1/journal?since=0", None),
        ("GET", "/v1/journal", None),
        ("POST", f"/v1/roles/{ROLE}/rotate", None),
        ("POST", f"/v1/roles/{ROLE}/expire", {"serve_expired": False}),
        ("PUT", "/v1/faults", {"faults": [{"match": "any", "status": 500}]}),
        ("DELETE", "/v1/faults", None),
        ("PUT", "/v1/clock", {"offset_seconds": 7200}),
        ("PUT", "/v1/settings", {"imdsv1": "enabled", "throttle_rps": 1, "extended_api": True}),
        ("POST", "/v1/tokens/revoke", None),
        ("POST", "/v1/reset", None),
    ]


def _bad_auth(kind: str, token: str):
    if kind == "missing":
        return None
    if kind == "wrong":
        return "Bearer not-the-admin-token-at-all"
    if kind == "same-length":
        other = "".join("a" if c != "a" else "b" for c in token)
        assert len(other) == len(token) and other != token
        return f"Bearer {other}"
    if kind == "basic":
        return "Basic " + base64.b64encode(f"admin:{token}".encode()).decode()
    if kind == "no-scheme":
        return token
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["missing", "wrong", "same-length", "basic", "no-scheme"])
def test_every_route_but_healthz_needs_the_bearer_token(control_emulator, kind):
    """Contract 'Authentication': every route but GET /healthz needs `Authorization: Bearer
    TOKEN`; a missing or wrong token (also one of the same length, Basic auth, or the bare token)
    gets 401 and changes nothing (no rotation, expiry, faults, clock, settings, revocation or
    reset)."""
    emu = control_emulator()
    emu.put_faults([GOOD_FAULT])  # so that a DELETE or reset would show
    tok = get_token(emu)
    before = comparable_state(emu.state())
    auth = _bad_auth(kind, emu.token)

    r = emu.healthz()
    assert r.status == 200, r
    for method, path, body in _mutating_routes():
        r = emu.api(method, path, body, auth=auth)
        assert r.status == 401, f"{method} {path} with {kind} auth -> {r!r}"

    after = emu.state()
    assert comparable_state(after) == before
    assert after["clock_offset_seconds"] == 0
    assert after["roles"][0]["access_key_id"] == served(emu)["AccessKeyId"]
    assert get(emu, MD, tok).status == 200, "a live token was revoked by a rejected request"
    assert get(emu, MD).status == 401, "imdsv1 was enabled by a rejected request"


def test_generated_token_file_is_0600_and_never_printed(control_emulator, control_env):
    """Without --admin-token-file (and without --state-dir) a random token of >= 16 characters is
    written with mode 0600 to admin.token in a new directory of a random name (mode 0700) under
    $TMPDIR, the start line names that file, and the token appears in neither stderr nor stdout
    (the access log)."""
    emu = control_emulator()
    folder = emu.token_file.parent
    assert folder.parent == Path(control_env["TMPDIR"]) and folder.name.startswith("imds-emulator-")
    assert str(emu.proc.pid) not in folder.name and emu.token_file.name == "admin.token"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(emu.token_file.stat().st_mode) == 0o600
    token = emu.token
    assert len(token) >= 16
    # Use it: authenticated and rejected requests, plus IMDS traffic, then look at every output.
    emu.state()
    emu.api("GET", "/v1/state", auth=f"Bearer {token}x")
    served(emu)
    emu.journal()
    time.sleep(0.2)
    assert token not in emu.stderr_text()
    assert token not in emu.stdout_text()


def test_generated_token_file_goes_to_the_state_dir(control_emulator, tmp_path):
    """With --state-dir the generated token is STATE_DIR/admin-token, mode 0600."""
    state = tmp_path / "state"
    state.mkdir()
    emu = control_emulator("--state-dir", str(state))
    assert emu.token_file == state / "admin-token"
    assert stat.S_IMODE(emu.token_file.stat().st_mode) == 0o600
    assert emu.state()["clock_offset_seconds"] == 0


def test_existing_token_file_content_is_the_token(control_emulator, tmp_path):
    """--admin-token-file naming an existing file: its trimmed content is the token; the file is
    left as it was."""
    f = tmp_path / "admin.token"
    content = "  test-admin-token-0123456789abcdef \n"
    f.write_text(content)
    f.chmod(0o600)
    emu = control_emulator(token_file=f)
    assert emu.token_file == f
    assert f.read_text() == content
    good = emu.api("GET", "/v1/state", auth="Bearer test-admin-token-0123456789abcdef")
    assert_json_answer(good, 200)
    bad = emu.api("GET", "/v1/state", auth="Bearer test-admin-token-0123456789abcdeX")
    assert bad.status == 401, bad
    assert "test-admin-token-0123456789abcdef" not in emu.stderr_text() + emu.stdout_text()


def test_missing_token_file_is_created_0600(control_emulator, tmp_path):
    """--admin-token-file naming a file that does not exist: a random token is written there
    with mode 0600 and works."""
    f = tmp_path / "new-dir-file.token"
    assert not f.exists()
    emu = control_emulator(token_file=f)
    assert emu.token_file == f
    assert f.exists() and stat.S_IMODE(f.stat().st_mode) == 0o600
    assert len(f.read_text().strip()) >= 16
    assert_json_answer(emu.api("GET", "/v1/state", auth=f"Bearer {f.read_text().strip()}"), 200)


def test_too_short_token_file_is_a_configuration_error(control_emulator, tmp_path):
    """An existing token file whose trimmed content has fewer than 16 characters is refused at
    start (README: a bad flag value exits 2 with one line naming the flag)."""
    from imds_helpers import binary, clean_env, run_proc

    f = tmp_path / "short.token"
    f.write_text("short-token\n")
    home = tmp_path / "short-home"
    home.mkdir()
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0", "--admin-listen",
                  "127.0.0.1:0", "--admin-token-file", str(f)], clean_env(home), timeout=10)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "admin-token-file" in r.stderr, r.stderr
    assert "short-token" not in r.stderr + r.stdout


# =========================================================================== validation

EXPIRE = f"/v1/roles/{ROLE}/expire"
BAD_REQUESTS = [
    # (id, method, path, body, name the error must contain or None)
    ("settings-bad-json", "PUT", "/v1/settings", b'{"imdsv1": ', None),
    ("clock-bad-json", "PUT", "/v1/clock", b'{"offset_seconds": 5', None),
    ("faults-bad-json", "PUT", "/v1/faults", b"faults please", None),
    ("settings-not-object", "PUT", "/v1/settings", [1, 2], None),
    ("settings-unknown-field", "PUT", "/v1/settings", {"imdsv1": "enabled", "bogus_field": 1},
     "bogus_field"),
    ("clock-unknown-field", "PUT", "/v1/clock", {"offset": 5}, "offset"),
    ("expire-unknown-field", "POST", EXPIRE, {"serve_expired": True, "when": "now"}, "when"),
    ("fault-unknown-field", "PUT", "/v1/faults",
     {"faults": [{"match": "credentials", "status": 500, "colour": "red"}]}, "colour"),
    ("imdsv1-type", "PUT", "/v1/settings", {"imdsv1": True}, "imdsv1"),
    ("imdsv1-value", "PUT", "/v1/settings", {"imdsv1": "sometimes"}, "imdsv1"),
    ("hop-limit-0", "PUT", "/v1/settings", {"hop_limit": 0}, "hop_limit"),
    ("hop-limit-65", "PUT", "/v1/settings", {"hop_limit": 65}, "hop_limit"),
    ("hop-limit-string", "PUT", "/v1/settings", {"hop_limit": "2"}, "hop_limit"),
    ("throttle-negative", "PUT", "/v1/settings", {"throttle_rps": -1}, "throttle_rps"),
    ("throttle-too-high", "PUT", "/v1/settings", {"throttle_rps": 100001}, "throttle_rps"),
    ("extended-type", "PUT", "/v1/settings", {"extended_api": "yes"}, "extended_api"),
    ("offset-type", "PUT", "/v1/clock", {"offset_seconds": "3600"}, "offset_seconds"),
    ("offset-too-big", "PUT", "/v1/clock", {"offset_seconds": 315360001}, "offset_seconds"),
    ("offset-too-small", "PUT", "/v1/clock", {"offset_seconds": -315360001}, "offset_seconds"),
    ("serve-expired-type", "POST", EXPIRE, {"serve_expired": "true"}, "serve_expired"),
    ("faults-not-list", "PUT", "/v1/faults", {"faults": {"match": "any", "status": 500}},
     "faults"),
    ("probability-2", "PUT", "/v1/faults",
     {"faults": [{"match": "credentials", "status": 500, "probability": 2}]}, "probability"),
    ("probability-0", "PUT", "/v1/faults",
     {"faults": [{"match": "credentials", "status": 500, "probability": 0}]}, "probability"),
    ("two-actions-status-error-code", "PUT", "/v1/faults",
     {"faults": [{"match": "credentials", "status": 500, "error_code": "X"}]}, None),
    ("two-actions-status-close", "PUT", "/v1/faults",
     {"faults": [{"match": "credentials", "status": 500, "action": "close"}]}, None),
    ("no-action", "PUT", "/v1/faults", {"faults": [{"match": "credentials", "count": 1}]}, None),
    ("unknown-match-class", "PUT", "/v1/faults",
     {"faults": [{"match": "kernel", "status": 500}]}, "match"),
    ("unknown-action", "PUT", "/v1/faults",
     {"faults": [{"match": "credentials", "action": "explode"}]}, "action"),
    ("status-99", "PUT", "/v1/faults", {"faults": [{"match": "token", "status": 99}]}, "status"),
    ("status-600", "PUT", "/v1/faults", {"faults": [{"match": "token", "status": 600}]}, "status"),
    ("delay-0", "PUT", "/v1/faults", {"faults": [{"match": "token", "delay_ms": 0}]}, "delay_ms"),
    ("delay-60001", "PUT", "/v1/faults",
     {"faults": [{"match": "token", "delay_ms": 60001}]}, "delay_ms"),
]


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_invalid_bodies_are_400_naming_the_field(module_control_emulator, case):
    """Contract 'Conventions': invalid JSON, a wrong type, an out-of-range value or an unknown
    field → 400 with {"error": …} naming the field; contract 'Faults': exactly one action per
    rule, `match` is a known class or a path; nothing changes."""
    _, method, path, body, name = case
    emu = module_control_emulator()
    before = comparable_state(emu.state())
    r = emu.api(method, path, body)
    assert_error_answer(r, 400, name)
    assert comparable_state(emu.state()) == before


def test_empty_body_is_an_empty_object(control_emulator):
    """Contract 'Conventions': an empty body is the same as {} where every field is optional:
    PUT /v1/settings changes nothing, expire defaults to serve_expired false."""
    emu = control_emulator()
    before = emu.state()["settings"]
    assert assert_json_answer(emu.api("PUT", "/v1/settings", b""), 200) == before
    ans = assert_json_answer(emu.api("POST", EXPIRE, b""), 200)
    assert ans["serve_expired"] is False


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/v1/nope", 404),
    ("GET", "/v2/state", 404),
    ("POST", "/v1/roles", 404),
    ("GET", "/v1/state", 200),  # control for the cases around it
    ("POST", "/v1/state", 405),
    ("GET", "/v1/faults", 405),
    ("DELETE", "/v1/clock", 405),
    ("GET", f"/v1/roles/{ROLE}/rotate", 405),
    ("GET", "/v1/tokens/revoke", 405),
    ("PUT", "/v1/journal", 405),
    ("GET", "/v1/reset", 405),
])
def test_unknown_route_404_wrong_method_405(module_control_emulator, method, path, status):
    """Contract 'Conventions': unknown route → 404, wrong method → 405, both {"error": …}."""
    emu = module_control_emulator()
    r = emu.api(method, path, {} if method in ("PUT", "POST") else None)
    if status == 200:
        assert_json_answer(r, 200)
    else:
        assert_error_answer(r, status)


def test_ports_are_separate(control_emulator):
    """The control port answers 404 to IMDS paths; the IMDS port answers 404 to /v1/… even with
    the bearer token (and to /healthz and /metrics)."""
    emu = control_emulator()
    tok = get_token(emu)
    for path in (MD, CRED_DOC_PATH, "/"):
        r = emu.api("GET", path)
        assert r.status == 404, f"control port GET {path} -> {r!r}"
    r = emu.api("PUT", TOKEN_PATH, headers={TTL_HEADER: "21600"})
    assert r.status in (404, 405) and r.status != 200, r
    bearer = [("Authorization", f"Bearer {emu.token}")]
    for path in ("/v1/state", "/v1/journal", "/healthz", "/metrics"):
        r = get(emu, path, tok, headers=bearer)
        assert r.status == 404, f"IMDS port GET {path} -> {r!r}"
    assert request(emu, "POST", f"/v1/roles/{ROLE}/rotate", bearer).status in (404, 405)
    assert emu.state()["roles"][0]["access_key_id"] == served(emu)["AccessKeyId"]


# =========================================================================== healthz, state


def test_healthz_follows_servability(control_emulator):
    """GET /healthz needs no token: 200 {"status":"ok"} while a set can be served, 503
    {"status":"unavailable","reason":…} after `expire` (serve_expired false), 200 after `rotate`."""
    emu = control_emulator()
    r = emu.healthz()
    assert assert_json_answer(r, 200) == {"status": "ok"}
    emu.expire()
    doc = assert_json_answer(emu.healthz(), 503)
    assert doc["status"] == "unavailable" and isinstance(doc.get("reason"), str) and doc["reason"]
    emu.rotate()
    assert assert_json_answer(emu.healthz(), 200) == {"status": "ok"}


def test_state_shape_and_values(control_emulator):
    """GET /v1/state: now, clock offset 0, the one role with the served key id, LastUpdated and
    Expiration, the synthetic source, the started settings, no faults."""
    emu = control_emulator("--imdsv1", "enabled", "--hop-limit", "3")
    doc = served(emu)
    st = emu.state()
    assert set(st) >= {"now", "clock_offset_seconds", "roles", "source", "settings", "faults"}, st
    assert abs(iso_epoch(st["now"]) - time.time()) < 5
    assert st["clock_offset_seconds"] == 0
    assert len(st["roles"]) == 1
    role = st["roles"][0]
    assert role["name"] == ROLE
    assert role["access_key_id"] == doc["AccessKeyId"]
    assert ACCESS_KEY_RE.match(role["access_key_id"])
    assert iso_epoch(role["last_updated"]) == iso_epoch(doc["LastUpdated"])
    assert iso_epoch(role["expiration"]) == iso_epoch(doc["Expiration"])
    assert role["expired"] is False and role["serve_expired"] is False
    src = st["source"]
    assert src["name"] == "synthetic" and src["healthy"] is True
    assert src["consecutive_failures"] == 0 and src["last_error"] is None
    assert iso_epoch(src["next_refresh"]) > time.time() - 5
    assert st["settings"] == {"imdsv1": "enabled", "hop_limit": 3, "throttle_rps": 0,
                              "extended_api": False}
    assert st["faults"] == []
    # the state holds no secret
    text = json.dumps(st)
    assert doc["SecretAccessKey"] not in text and doc["Token"] not in text


# =========================================================================== rotate, expire


def test_rotate_publishes_a_new_set(control_emulator):
    """POST /v1/roles/ROLE/rotate answers {role, access_key_id, last_updated, expiration} of a new
    set, which is what IMDS serves from then on; another role name → 404 and nothing rotates."""
    emu = control_emulator()
    old = served(emu)
    ans = emu.rotate()
    assert set(ans) >= {"role", "access_key_id", "last_updated", "expiration"}, ans
    assert ans["role"] == ROLE
    assert ans["access_key_id"] != old["AccessKeyId"]
    new = served(emu)
    assert new["AccessKeyId"] == ans["access_key_id"]
    assert iso_epoch(new["LastUpdated"]) == iso_epoch(ans["last_updated"])
    assert iso_epoch(new["Expiration"]) == iso_epoch(ans["expiration"])
    assert_error_answer(emu.api("POST", "/v1/roles/someone-else/rotate"), 404)
    assert served(emu)["AccessKeyId"] == new["AccessKeyId"]
    assert emu.role_state()["access_key_id"] == new["AccessKeyId"]


def test_expire_without_serve_expired_fails_credentials_until_rotate(control_emulator):
    """expire (serve_expired false): Expiration becomes now and the credentials path answers 500
    until the next rotation; the answer carries role, key id, expiration, serve_expired."""
    emu = control_emulator()
    old = served(emu)
    ans = emu.expire()
    assert ans["role"] == ROLE and ans["access_key_id"] == old["AccessKeyId"]
    assert ans["serve_expired"] is False
    assert abs(iso_epoch(ans["expiration"]) - time.time()) < 5
    assert emu.role_state()["expired"] is True
    tok = get_token(emu)
    for _ in range(3):
        r = get(emu, CRED_DOC_PATH, tok)
        assert r.status == 500, r
    assert_error_answer(emu.api("POST", "/v1/roles/someone-else/expire"), 404)
    emu.rotate()
    new = served(emu)
    assert new["AccessKeyId"] != old["AccessKeyId"]
    assert iso_epoch(new["Expiration"]) > time.time() + 3600


def test_expire_keeps_the_rotation_schedule(control_emulator):
    """After expire the 500s last until the next scheduled rotation (here every 3 s), which
    publishes a new set by itself."""
    emu = control_emulator("--rotate-every", "3s")
    emu.rotate()
    old = emu.expire()["access_key_id"]
    tok = get_token(emu)
    assert get(emu, CRED_DOC_PATH, tok).status == 500
    deadline = time.monotonic() + 6
    while True:
        r = get(emu, CRED_DOC_PATH, tok)
        if r.status == 200:
            break
        assert r.status == 500, r
        assert time.monotonic() < deadline, "no scheduled rotation within 6 s of expire"
        time.sleep(0.2)
    assert parse_credential_doc(r.text)["AccessKeyId"] != old


def test_rotate_answers_502_when_the_source_fails(control_emulator, tmp_path):
    """With a credential_process source that fails after its first run, POST rotate answers 502
    {"error"}; the last good set is still served; the state's source shows the failure and
    imds_source_refresh_failures_total counts it."""
    mark = tmp_path / "ran-once"
    script = tmp_path / "creds.sh"
    secret = "pr0cessSecretKeyForTestsOnly/EXAMPLEKEY1"
    assert len(secret) == 40
    script.write_text(
        "#!/bin/sh\n"
        f'if [ -e "{mark}" ]; then echo "vault sealed" >&2; exit 1; fi\n'
        f'touch "{mark}"\n'
        'printf \'{"Version":1,"AccessKeyId":"ASIAPROCESSEXAMPLEAB","SecretAccessKey":"'
        + secret + '","SessionToken":"' + "FwoGZXIvYXdzEXAMPLEprocessTOKEN" * 12 + '"}\'\n')
    script.chmod(0o700)
    emu = control_emulator("--source", "process", "--credential-process", str(script))
    assert served(emu)["AccessKeyId"] == "ASIAPROCESSEXAMPLEAB"
    assert emu.state()["source"]["name"] == "process"
    r = emu.api("POST", f"/v1/roles/{ROLE}/rotate")
    assert_error_answer(r, 502)
    assert secret not in r.text
    assert served(emu)["AccessKeyId"] == "ASIAPROCESSEXAMPLEAB"
    src = emu.state()["source"]
    assert src["consecutive_failures"] >= 1 and isinstance(src["last_error"], str), src
    assert metric(emu.metrics(), "imds_source_refresh_failures_total") >= 1


def test_expire_with_serve_expired_keeps_serving(control_emulator):
    """expire {"serve_expired": true}: the same set is still served, its Expiration ≤ now."""
    emu = control_emulator()
    old = served(emu)
    ans = emu.expire(serve_expired=True)
    assert ans["serve_expired"] is True
    time.sleep(1.1)
    doc = served(emu)
    assert doc["AccessKeyId"] == old["AccessKeyId"]
    assert iso_epoch(doc["Expiration"]) <= time.time()
    role = emu.role_state()
    assert role["serve_expired"] is True and role["expired"] is True


# =========================================================================== clock


def test_clock_shift_mints_and_checks_tokens_in_shifted_time(control_emulator):
    """PUT /v1/clock {offset_seconds: 3600}: the answer's `now` is real time + 3600, and a fresh
    21600-s token reports 21600 s left (minted and checked in the same shifted time)."""
    emu = control_emulator()
    ans = emu.set_clock(3600)
    assert ans["offset_seconds"] == 3600
    assert abs(iso_epoch(ans["now"]) - (time.time() + 3600)) < 5
    st = emu.state()
    assert st["clock_offset_seconds"] == 3600
    assert abs(iso_epoch(st["now"]) - (time.time() + 3600)) < 5
    tok = get_token(emu, 21600)
    r = get(emu, MD, tok)
    assert r.status == 200, r
    assert int(r.header(TTL_HEADER)) in (21599, 21600), r.header(TTL_HEADER)
    ans = emu.set_clock(-3600)
    assert ans["offset_seconds"] == -3600
    tok = get_token(emu, 600)
    assert int(get(emu, MD, tok).header(TTL_HEADER)) in (599, 600)


def test_clock_shift_expires_older_tokens(control_emulator):
    """A 21600-s token minted before a +21600 s shift is rejected (401) after it; new ones work."""
    emu = control_emulator()
    old = get_token(emu, 21600)
    assert get(emu, MD, old).status == 200
    emu.set_clock(21600)
    assert get(emu, MD, old).status == 401
    assert get(emu, MD, get_token(emu)).status == 200


def test_clock_shift_past_schedule_rotates_in_shifted_time(control_emulator):
    """Shifting past the rotation schedule (default: every 1 h) publishes a new set at once whose
    LastUpdated and Expiration are in shifted time; offset 0 restores the real clock."""
    emu = control_emulator()
    old = served(emu)
    ans = emu.set_clock(7200)
    shifted_now = time.time() + 7200
    new = served(emu)
    assert new["AccessKeyId"] != old["AccessKeyId"], "no rotation after shifting past the schedule"
    assert abs(iso_epoch(new["LastUpdated"]) - shifted_now) < 10, (new["LastUpdated"], ans)
    assert iso_epoch(new["Expiration"]) - iso_epoch(new["LastUpdated"]) == SIX_HOURS
    assert emu.role_state()["access_key_id"] == new["AccessKeyId"]
    back = emu.set_clock(0)
    assert back["offset_seconds"] == 0
    assert abs(iso_epoch(back["now"]) - time.time()) < 5
    assert emu.state()["clock_offset_seconds"] == 0


# =========================================================================== settings


def test_settings_imdsv1_toggles_tokenless_gets(control_emulator):
    """PUT /v1/settings {"imdsv1": …} switches tokenless GETs between 200 (IMDSv1) and 401, and
    answers the whole settings object."""
    emu = control_emulator()
    assert get(emu, MD).status == 401
    ans = emu.settings(imdsv1="enabled")
    assert ans == {"imdsv1": "enabled", "hop_limit": 1, "throttle_rps": 0, "extended_api": False}
    assert get(emu, MD).status == 200
    assert get(emu, CRED_DOC_PATH).status == 200
    assert emu.settings(imdsv1="disabled")["imdsv1"] == "disabled"
    assert get(emu, MD).status == 401
    assert emu.state()["settings"]["imdsv1"] == "disabled"


def test_settings_extended_api_shows_and_hides_the_extended_paths(control_emulator):
    """extended_api true: iam/ lists security-credentials-extended/, which lists the role, and
    …-extended/ROLE is the legacy document plus a 12-digit AccountId; false: both 404 and iam/
    lists only info and security-credentials/."""
    emu = control_emulator()
    tok = get_token(emu)
    assert get_ok(emu, MD + "iam/", tok) == "info\nsecurity-credentials/"
    assert get(emu, EXT_PATH, tok).status == 404
    assert get(emu, EXT_PATH + ROLE, tok).status == 404

    assert emu.settings(extended_api=True)["extended_api"] is True
    listing = get_ok(emu, MD + "iam/", tok).split("\n")
    assert listing == ["info", "security-credentials-extended/", "security-credentials/"], listing
    assert get_ok(emu, EXT_PATH, tok) == ROLE
    legacy = json.loads(get_ok(emu, CRED_DOC_PATH, tok))
    ext_text = get_ok(emu, EXT_PATH + ROLE, tok)
    assert '"AccountId" : "' in ext_text, ext_text[:200]
    ext = json.loads(ext_text)
    assert re.fullmatch(r"\d{12}", ext.pop("AccountId"))
    assert ext == legacy

    emu.settings(extended_api=False)
    assert get(emu, EXT_PATH, tok).status == 404
    assert get(emu, EXT_PATH + ROLE, tok).status == 404
    assert get_ok(emu, MD + "iam/", tok) == "info\nsecurity-credentials/"
    assert "AccountId" not in get_ok(emu, CRED_DOC_PATH, tok)


def test_settings_throttle_answers_429_then_recovers(control_emulator):
    """throttle_rps 5: a burst of 20 quick requests from one client gets some 429s; after a
    pause requests succeed again; throttle_rps 0 turns it off."""
    emu = control_emulator()
    tok = get_token(emu)
    assert emu.settings(throttle_rps=5)["throttle_rps"] == 5
    statuses = [get(emu, MD + "instance-id", tok).status for _ in range(20)]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(429) >= 3, statuses
    assert statuses[0] == 200, statuses
    time.sleep(1.5)
    later = []
    for _ in range(3):
        later.append(get(emu, MD + "instance-id", tok).status)
        time.sleep(0.25)
    assert later == [200, 200, 200], later
    emu.settings(throttle_rps=0)
    statuses = [get(emu, MD + "instance-id", tok).status for _ in range(20)]
    assert statuses == [200] * 20, statuses


def test_settings_hop_limit_is_accepted(control_emulator):
    """hop_limit 1..64 is accepted, shows in the answer and in the state; tokens still work."""
    emu = control_emulator()
    assert emu.settings(hop_limit=2)["hop_limit"] == 2
    assert emu.state()["settings"]["hop_limit"] == 2
    assert emu.settings(hop_limit=64)["hop_limit"] == 64
    assert put_token(emu).status == 200


# =========================================================================== revoke


def test_revoke_invalidates_outstanding_tokens(control_emulator):
    """POST /v1/tokens/revoke → {"revoked": true}; a live token then gets 401, new ones work."""
    emu = control_emulator()
    tok = get_token(emu)
    assert get(emu, MD, tok).status == 200
    assert emu.revoke() == {"revoked": True}
    assert get(emu, MD, tok).status == 401
    assert get(emu, CRED_DOC_PATH, tok).status == 401
    new = get_token(emu)
    assert get(emu, CRED_DOC_PATH, new).status == 200


def test_revoke_with_state_dir_survives_a_restart(control_emulator, tmp_path):
    """With --state-dir the new token key is stored: after a restart a token minted before the
    revocation is still rejected and one minted after it is still accepted."""
    state = tmp_path / "state"
    state.mkdir()
    first = control_emulator("--state-dir", str(state))
    before = get_token(first)
    first.revoke()
    after = get_token(first)
    assert get(first, MD, before).status == 401
    first.stop()
    second = control_emulator("--state-dir", str(state))
    assert get(second, MD, before).status == 401
    assert get(second, MD, after).status == 200


# =========================================================================== faults


def fault_records(emu, since: int, path: str | None = None) -> list:
    return [r for r in emu.journal_all(since) if path is None or r.get("path") == path]


def test_fault_status_with_count(control_emulator):
    """{"match":"credentials","status":500,"count":3}: exactly three 500s with the XHTML error
    page (before token checks: a tokenless GET gets 500, not 401), then 200; the rule is then
    gone; PUT answers the stored rules with `remaining`; faulted requests carry `fault` in the
    journal."""
    emu = control_emulator()
    tok = get_token(emu)
    since = emu.journal_seq()
    ans = emu.put_faults([{"match": "credentials", "status": 500, "count": 3}])
    assert len(ans["faults"]) == 1
    rule = ans["faults"][0]
    assert rule["match"] == "credentials" and rule["status"] == 500 and rule["remaining"] == 3, ans
    r = get(emu, CRED_DOC_PATH)  # no token: the fault comes first
    assert_error_page(r, 500, "Internal Server Error")
    assert [f["remaining"] for f in emu.state()["faults"]] == [2]
    for _ in range(2):
        assert_error_page(get(emu, CRED_DOC_PATH, tok), 500, "Internal Server Error")
    assert get(emu, CRED_DOC_PATH, tok).status == 200
    assert get(emu, CRED_DOC_PATH, tok).status == 200
    assert get(emu, MD + "instance-id", tok).status == 200
    assert emu.state()["faults"] == []
    recs = fault_records(emu, since, CRED_DOC_PATH)
    assert [r["status"] for r in recs] == [500, 500, 500, 200, 200], recs
    assert all(r.get("fault") for r in recs[:3]), recs[:3]
    assert not any("fault" in r for r in recs[3:]), recs[3:]
    log = [r for r in emu.wait_records(len(recs) + 1) if r["path"] == CRED_DOC_PATH]
    assert [("fault" in r, r["status"]) for r in log[-5:]] == [
        (True, 500), (True, 500), (True, 500), (False, 200), (False, 200)], log[-5:]


def test_fault_count_two_then_success(control_emulator):
    """The brief's example: status 500 with count 2 → exactly two 500s, then 200."""
    emu = control_emulator()
    tok = get_token(emu)
    emu.put_faults([{"match": "credentials", "status": 500, "count": 2}])
    assert [get(emu, CRED_DOC_PATH, tok).status for _ in range(4)] == [500, 500, 200, 200]


def test_fault_delay_and_path_prefix(control_emulator):
    """{"match":"/latest/meta-data/placement/","delay_ms":1500}: requests under that prefix get
    the normal answer ≥ 1.4 s late; others are not delayed."""
    emu = control_emulator()
    tok = get_token(emu)
    normal = get_ok(emu, MD + "placement/region", tok)
    emu.put_faults([{"match": "/latest/meta-data/placement/", "delay_ms": 1500}])
    r, secs = timed_request(emu, "GET", MD + "placement/region", tok)
    assert r.status == 200 and r.text == normal, r
    assert secs >= 1.4, secs
    r, secs = timed_request(emu, "GET", MD + "instance-id", tok)
    assert r.status == 200 and secs < 1.0, secs
    emu.put_faults([{"match": "metadata", "status": 503, "delay_ms": 500}])  # status + delay
    r, secs = timed_request(emu, "GET", MD + "instance-id", tok)
    assert r.status == 503 and secs >= 0.45, (r, secs)


def test_fault_path_prefix_match(control_emulator):
    """A `match` starting with '/' is a path prefix, compared after '//' runs are collapsed."""
    emu = control_emulator()
    tok = get_token(emu)
    since = emu.journal_seq()
    emu.put_faults([{"match": "/latest/meta-data/placement/", "status": 503}])
    assert_error_page(get(emu, MD + "placement/region", tok), 503, "Service Unavailable")
    assert get(emu, "//latest//meta-data//placement/availability-zone", tok).status == 503
    assert get(emu, MD + "instance-id", tok).status == 200
    assert get(emu, CRED_DOC_PATH, tok).status == 200
    assert put_token(emu).status == 200
    faulted = [r for r in emu.journal_all(since) if r.get("fault")]
    assert len(faulted) == 2, faulted


def test_fault_close(control_emulator):
    """action close: the connection is closed without any response byte; the request is in the
    journal with a `fault` member."""
    emu = control_emulator()
    since = emu.journal_seq()
    emu.put_faults([{"match": "token", "action": "close"}])
    data = build_request("PUT", TOKEN_PATH, emu.host, emu.port, [(TTL_HEADER, "21600")])
    raw, reset, _ = raw_exchange(emu.host, emu.port, data)
    assert raw == b"", f"expected no response bytes, got {raw[:200]!r}"
    recs = [r for r in emu.journal_all(since) if r.get("path") == TOKEN_PATH]
    assert recs and recs[-1].get("fault"), recs
    emu.clear_faults()
    assert put_token(emu).status == 200


def test_fault_malformed(control_emulator):
    """action malformed: 200 whose body is the real document cut in half (not valid JSON, a
    prefix of the real one)."""
    emu = control_emulator()
    tok = get_token(emu)
    real = get_ok(emu, CRED_DOC_PATH, tok)
    emu.put_faults([{"match": "credentials", "action": "malformed", "count": 1}])
    r = get(emu, CRED_DOC_PATH, tok)
    assert r.status == 200, r
    body = r.text
    assert 0 < len(body) < len(real)
    assert real.startswith(body)
    assert abs(len(body) - len(real) / 2) <= 1, (len(body), len(real))
    with pytest.raises(ValueError):
        json.loads(body)
    assert get_ok(emu, CRED_DOC_PATH, tok) == real


def test_fault_error_code(control_emulator):
    """error_code: 200 with IMDS's error document (Code = the code, Message, LastUpdated), no keys."""
    emu = control_emulator()
    tok = get_token(emu)
    emu.put_faults([{"match": "credentials", "error_code": "AssumeRoleUnauthorizedAccess"}])
    r = get(emu, CRED_DOC_PATH, tok)
    assert r.status == 200, r
    doc = json.loads(r.text)
    assert doc["Code"] == "AssumeRoleUnauthorizedAccess"
    assert isinstance(doc.get("Message"), str) and doc["Message"]
    iso_epoch(doc["LastUpdated"])
    for k in ("AccessKeyId", "SecretAccessKey", "Token"):
        assert k not in doc, doc
    assert get(emu, MD + "instance-id", tok).status == 200  # only credentials are matched


def test_fault_probability(control_emulator):
    """probability 0.5 over 200 requests: between 60 and 140 are faulted, and exactly those carry
    `fault` in the journal."""
    emu = control_emulator()
    tok = get_token(emu)
    since = emu.journal_seq()
    emu.put_faults([{"match": "/latest/meta-data/instance-id", "status": 500, "probability": 0.5}])
    statuses = [get(emu, MD + "instance-id", tok).status for _ in range(200)]
    assert set(statuses) <= {200, 500}
    n = statuses.count(500)
    assert 60 <= n <= 140, n
    recs = [r for r in emu.journal_all(since) if r.get("path") == MD + "instance-id"]
    assert len(recs) == 200
    assert sum(1 for r in recs if r.get("fault")) == n
    assert all((r["status"] == 500) == bool(r.get("fault")) for r in recs)


def test_fault_client_filter(control_emulator):
    """`client`: only requests from that exact address are faulted."""
    emu = control_emulator()
    emu.settings(imdsv1="enabled")
    emu.put_faults([{"match": "any", "status": 500, "client": "127.0.0.2"}])
    assert imds_request(emu, "GET", MD + "instance-id", source="127.0.0.2").status == 500
    assert imds_request(emu, "GET", MD + "instance-id", source="127.0.0.3").status == 200
    assert imds_request(emu, "GET", MD + "instance-id").status == 200


def test_fault_user_agent_filter(control_emulator):
    """`user_agent`: a substring of the User-Agent; other clients are not faulted."""
    emu = control_emulator()
    tok = get_token(emu)
    emu.put_faults([{"match": "any", "status": 429, "user_agent": "Botocore"}])
    r = get(emu, MD + "instance-id", tok, ua="Boto3/1.43.11 Python/3.11.7 Botocore/1.43.11")
    assert r.status == 429, r
    assert get(emu, MD + "instance-id", tok).status == 200
    assert get(emu, MD + "instance-id", tok, ua=None).status == 200


def test_fault_rules_first_match_wins_and_delete_clears(control_emulator):
    """Rules are tried in order (the first matching one applies); DELETE /v1/faults removes every
    rule and answers {"faults": []}."""
    emu = control_emulator()
    tok = get_token(emu)
    ans = emu.put_faults([{"match": "credentials", "error_code": "E1"},
                          {"match": "any", "status": 500}])
    assert [f["match"] for f in ans["faults"]] == ["credentials", "any"]
    assert len(emu.state()["faults"]) == 2
    assert json.loads(get_ok(emu, CRED_DOC_PATH, tok))["Code"] == "E1"
    assert get(emu, MD + "instance-id", tok).status == 500
    assert emu.clear_faults() == {"faults": []}
    assert emu.state()["faults"] == []
    parse_credential_doc(get_ok(emu, CRED_DOC_PATH, tok))
    assert get(emu, MD + "instance-id", tok).status == 200


def test_fault_put_replaces_rules(control_emulator):
    """PUT /v1/faults replaces the whole rule list."""
    emu = control_emulator()
    tok = get_token(emu)
    emu.put_faults([{"match": "metadata", "status": 500}])
    assert get(emu, MD + "instance-id", tok).status == 500
    emu.put_faults([{"match": "role-list", "status": 404}])
    assert get(emu, MD + "instance-id", tok).status == 200
    assert get(emu, CREDS_PATH, tok).status == 404
    assert get(emu, CRED_DOC_PATH, tok).status == 200


def test_fault_classes(control_emulator):
    """`match` classes: token is the token path; role-list the legacy and extended listings;
    credentials the legacy and extended documents; metadata every other path."""
    emu = control_emulator()
    emu.settings(extended_api=True)
    tok = get_token(emu)
    paths = {
        "role-list": [CREDS_PATH, EXT_PATH],
        "credentials": [CRED_DOC_PATH, EXT_PATH + ROLE],
        "metadata": [MD + "instance-id", "/latest/dynamic/instance-identity/document", MD + "iam/info"],
    }
    for cls, own in paths.items():
        emu.put_faults([{"match": cls, "status": 502}])
        for c2, ps in paths.items():
            for p in ps:
                st = get(emu, p, tok).status
                assert st == (502 if c2 == cls else 200), f"match {cls}: GET {p} -> {st}"
        assert put_token(emu).status == 200, f"match {cls} faulted the token PUT"
    emu.put_faults([{"match": "token", "status": 502}])
    assert put_token(emu).status == 502
    assert all(get(emu, p, tok).status == 200 for ps in paths.values() for p in ps)


# =========================================================================== journal


def test_journal_paging_and_members(control_emulator):
    """GET /v1/journal?since=N: records with seq > N oldest first and `next` to continue; each
    record is its access-log line plus `seq`; credential fetches carry access_key_id."""
    emu = control_emulator()
    doc = served(emu)  # PUT, listing, document
    get(emu, MD)  # tokenless: 401
    first = emu.journal()
    recs = first["records"]
    assert len(recs) == 4, recs
    seqs = [r["seq"] for r in recs]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert first["next"] == seqs[-1]
    assert emu.journal(0)["records"] == recs
    assert emu.journal(first["next"])["records"] == []
    assert emu.journal(seqs[1])["records"] == recs[2:]

    tok = get_token(emu)
    get(emu, MD + "instance-id", tok)
    later = emu.journal(first["next"])
    assert [r["path"] for r in later["records"]] == [TOKEN_PATH, MD + "instance-id"]
    assert later["next"] == later["records"][-1]["seq"]

    # each record == the access-log line of the same request, plus seq
    log = emu.wait_records(6)
    by_port = {(r["port"], r["path"]): r for r in log}
    for rec in recs + later["records"]:
        line = by_port[(rec["port"], rec["path"])]
        without_seq = {k: v for k, v in rec.items() if k != "seq"}
        assert without_seq == line, (rec, line)
    cred = [r for r in recs if r["path"] == CRED_DOC_PATH]
    assert cred[0]["access_key_id"] == doc["AccessKeyId"] and cred[0]["role"] == ROLE
    assert cred[0]["imds_version"] == "v2" and cred[0]["status"] == 200
    assert "access_key_id" not in recs[0]
    for field in ("time", "client", "port", "method", "path", "status", "bytes", "duration_us",
                  "user_agent", "imds_version"):
        assert field in cred[0], (field, cred[0])


def test_journal_pages_hold_at_most_1000(control_emulator):
    """At most 1000 records per call; `next` continues where the page stopped."""
    emu = control_emulator("--access-log", "off")
    for _ in range(1010):
        get(emu, MD)  # 401s are recorded too
    page1 = emu.journal(0)
    assert len(page1["records"]) == 1000
    page2 = emu.journal(page1["next"])
    assert len(page2["records"]) == 10
    assert page2["records"][0]["seq"] > page1["records"][-1]["seq"]


def test_journal_keeps_the_last_10000(control_emulator):
    """The journal keeps the last 10000 records: after 10010 requests the oldest are gone."""
    emu = control_emulator("--access-log", "off")
    for _ in range(10010):
        get(emu, MD)
    recs = emu.journal_all(0)
    assert len(recs) == 10000
    seqs = [r["seq"] for r in recs]
    assert seqs == list(range(seqs[0], seqs[0] + 10000)), "seq has gaps"
    assert seqs[-1] >= 10010


def test_journal_tells_which_client_fetched_which_key(control_emulator):
    """Per-client assertions: client 127.0.0.2 fetched the first key, 127.0.0.3 (after a rotate)
    the second; the journal's client and access_key_id members say so."""
    emu = control_emulator()
    emu.settings(imdsv1="enabled")

    def fetch_from(source: str) -> str:
        r = imds_request(emu, "GET", CRED_DOC_PATH, source=source)
        assert r.status == 200, r
        return json.loads(r.text)["AccessKeyId"]

    since = emu.journal_seq()
    k1 = fetch_from("127.0.0.2")
    emu.rotate()
    k2 = fetch_from("127.0.0.3")
    assert k1 != k2
    recs = [r for r in emu.journal_all(since) if r["path"] == CRED_DOC_PATH]
    got = {r["client"]: r["access_key_id"] for r in recs}
    assert got == {"127.0.0.2": k1, "127.0.0.3": k2}, recs
    assert all(r["imds_version"] == "v1" for r in recs)


# =========================================================================== reset


def test_reset_restores_the_started_configuration(control_emulator):
    """POST /v1/reset: no faults, offset 0, the started settings, serve_expired off, a set
    expired through the API replaced at once; answers the state."""
    emu = control_emulator("--hop-limit", "2")
    started = emu.state()["settings"]
    old = served(emu)
    emu.settings(imdsv1="enabled", hop_limit=7, throttle_rps=1000, extended_api=True)
    emu.put_faults([{"match": "metadata", "status": 500}])
    emu.set_clock(600)
    emu.expire(serve_expired=True)
    st = emu.reset()
    assert st["clock_offset_seconds"] == 0
    assert st["faults"] == []
    assert st["settings"] == started == {"imdsv1": "disabled", "hop_limit": 2, "throttle_rps": 0,
                                         "extended_api": False}
    role = st["roles"][0]
    assert role["serve_expired"] is False and role["expired"] is False
    assert role["access_key_id"] != old["AccessKeyId"]
    assert abs(iso_epoch(st["now"]) - time.time()) < 5
    tok = get_token(emu)
    assert get(emu, MD + "instance-id", tok).status == 200
    assert get(emu, MD).status == 401
    doc = served(emu)
    assert doc["AccessKeyId"] == role["access_key_id"]
    assert iso_epoch(doc["Expiration"]) > time.time() + 3600
    assert get(emu, EXT_PATH, tok).status == 404
    assert emu.healthz().status == 200


# =========================================================================== metrics


def test_metrics_names_and_counters(control_emulator):
    """GET /metrics is Prometheus text with the six metrics of the contract (five counters, one
    gauge); tokens_issued rises by exactly the PUTs made, requests_total by class and status,
    rotations after rotate; the expiry gauge is the seconds left (≤ 0 once expired)."""
    emu = control_emulator()
    m0 = emu.metrics()
    doc = served(emu)  # 1 PUT, 1 listing, 1 document
    left = metric(m0, "imds_credentials_expiry_seconds")
    assert abs(left - (iso_epoch(doc["Expiration"]) - time.time())) < 10, left

    tok = get_token(emu)
    for _ in range(4):
        assert put_token(emu).status == 200
    assert put_token(emu, ttl=0).status == 400  # not issued
    for _ in range(3):
        assert get(emu, CRED_DOC_PATH, tok).status == 200
    assert get(emu, CRED_DOC_PATH).status == 401
    assert get(emu, MD + "instance-id", tok).status == 200

    r = emu.api("GET", "/metrics")
    assert r.status == 200, r
    assert r.headers.get("content-type", "").startswith("text/plain"), r.headers
    text = r.text
    for name in SIX_METRICS:
        assert re.search(rf"^# TYPE {name} (counter|gauge)$", text, re.M), f"{name} missing:\n{text}"
    m1 = emu.metrics()
    assert m1["types"]["imds_credentials_expiry_seconds"] == "gauge"
    for name in SIX_METRICS[:-1]:
        assert m1["types"][name] == "counter", name

    d = lambda name, **lab: metric(m1, name, **lab) - metric(m0, name, **lab)  # noqa: E731
    assert d("imds_tokens_issued_total") == 6  # served(): 1, get_token: 1, then 4
    assert d("imds_requests_total", **{"class": "credentials", "status": "200"}) == 4
    assert d("imds_requests_total", **{"class": "credentials", "status": "401"}) == 1
    assert d("imds_requests_total", **{"class": "token", "status": "200"}) == 6
    assert d("imds_requests_total", **{"class": "token", "status": "400"}) == 1
    assert d("imds_requests_total", **{"class": "role-list", "status": "200"}) == 1
    assert d("imds_requests_total", **{"class": "metadata", "status": "200"}) == 1
    assert d("imds_credential_fetches_total", sdk="other") >= 4

    emu.rotate()
    m2 = emu.metrics()
    assert metric(m2, "imds_rotations_total") - metric(m1, "imds_rotations_total") == 1
    assert metric(m2, "imds_source_refresh_failures_total") == 0
    emu.expire()
    time.sleep(1.1)
    assert metric(emu.metrics(), "imds_credentials_expiry_seconds") <= 0


SDK_UAS = [
    ("Botocore/1.43.11 Python/3.11.7 Linux/6.1.0", "botocore"),
    ("Boto3/1.43.11 Python/3.11.7 Linux/6.1.0 Botocore/1.43.11", "botocore"),
    ("aws-cli/1.45.11 Python/3.11.7 Linux/6.1.0 botocore/1.43.11", "aws-cli"),
    ("aws-cli/2.9.19", "aws-cli"),
    ("aws-sdk-go/1.55.6 (go1.22.5; linux; amd64)", "go-v1"),
    ("aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 ft/ec2-imds",
     "go-v2"),
    ("aws-sdk-java/2.25.0 Linux/6.1 OpenJDK_64-Bit_Server_VM/17.0.9+9 Java/17.0.9 io/sync "
     "http/Apache cfg/retry-mode#legacy", "java"),
    ("aws-sdk-crt/aws-imds-client", "crt"),
    ("curl/7.88.1", "other"),
    (None, "none"),
]


@pytest.mark.parametrize("ua,family", SDK_UAS, ids=[f for _, f in SDK_UAS])
def test_metrics_credential_fetches_by_client_family(module_control_emulator, ua, family):
    """imds_credential_fetches_total{sdk}: the family from the User-Agent strings of
    docs/imds-behaviour.md §5 (no User-Agent: none)."""
    emu = module_control_emulator()
    tok = get_token(emu)
    before = emu.metrics()
    assert get(emu, CRED_DOC_PATH, tok, ua=ua).status == 200
    after = emu.metrics()
    delta = {f: metric(after, "imds_credential_fetches_total", sdk=f)
             - metric(before, "imds_credential_fetches_total", sdk=f)
             for f in ("botocore", "aws-cli", "go-v1", "go-v2", "java", "crt", "other", "none")}
    assert delta == {f: (1 if f == family else 0) for f in delta}, delta


def test_metrics_count_botocore_fetches(control_emulator, aws_env):
    """A boto3 default-chain fetch increments imds_credential_fetches_total{sdk="botocore"}."""
    import boto3

    emu = control_emulator()
    aws_env(emu.url)
    before = metric(emu.metrics(), "imds_credential_fetches_total", sdk="botocore")
    creds = boto3.Session().get_credentials()
    assert creds is not None and creds.method == "iam-role"
    creds.get_frozen_credentials()
    after = metric(emu.metrics(), "imds_credential_fetches_total", sdk="botocore")
    assert after - before == 1, (before, after)
    no_ua = get(emu, CRED_DOC_PATH, get_token(emu), ua=None)
    assert no_ua.status == 200
    assert metric(emu.metrics(), "imds_credential_fetches_total", sdk="none") >= 1
