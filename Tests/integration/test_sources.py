"""Credential sources other than `synthetic`: assume-role and static (STS via moto on loopback),
process (a credential_process script), profiles and MFA, rotation and refresh failures,
--lazy start, configuration errors, and secrets kept out of every output.

STS is moto's real server on 127.0.0.1, usually behind a recording proxy so that tests can see
what the emulator asked for. moto's GetCallerIdentity answers `assumed-role/ROLE/SESSION` only for
keys its own AssumeRole issued since it (re)started, and `user/moto` for anything else, so a
matching ARN proves the served keys are real moto-issued ones.
"""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from conftest_sources import (
    ACCOUNT, BAIT, BASE_KEY, BASE_SECRET, DEFAULT_KEY, DEFAULT_SECRET, DEV_ROLE_ARN, ENV_KEY,
    ENV_SECRET, MFA_SERIAL, OTHER_ACCOUNT, ROLE_ARN, SOURCE_SESSION_TOKEN, STS_ACCESS_DENIED,
    ProcessScript, assert_no_secrets, assert_one_line_exit, key_env, run_serve, signing_scope,
    source_env,
)
from conftest_sources import moto, moto_factory, sts_proxy  # noqa: F401,F811  (fixtures)
from imds_helpers import (
    CREDS_PATH, TOKEN_HEADER, assert_error_page, fetch_credentials, free_port, get, get_ok,
    get_token, iso_to_epoch, parse_credential_doc, request, wait_until,
)

MD = "/latest/meta-data/"
IDENTITY_DOC = "/latest/dynamic/instance-identity/document"
ROLE = "imds-emulator"           # the default --role: the name served under security-credentials/
CRED_DOC_PATH = CREDS_PATH + ROLE
KEY_FIELD_RE = re.compile(r"\baccess_key_id=\"?([A-Za-z0-9]+)")
FAILED = "credential refresh failed"


@pytest.fixture(autouse=True)
def _clean_process_env(aws_env):
    """boto3/botocore in this process: temporary HOME, no AWS_* of the machine."""
    return aws_env


@pytest.fixture
def home(tmp_path):
    """An empty HOME for the emulator: no ~/.aws of anyone."""
    h = tmp_path / "src-home"
    h.mkdir(exist_ok=True)
    return h


# =========================================================================== helpers


def caller_arn(moto_url: str, creds: dict) -> str:
    """GetCallerIdentity at moto, signed with a served credential document."""
    import boto3

    sts = boto3.client("sts", endpoint_url=moto_url, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds.get("Token") or None)
    return sts.get_caller_identity()["Arn"]


def assumed_arn(role: str = "test-role", session: str = "itest", account: str = ACCOUNT) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def published_keys(emu) -> list:
    """access_key_id=… of every stderr line that says `published credentials` (any order)."""
    return [k for line in emu.stderr_text().splitlines() if "published credentials" in line
            for k in KEY_FIELD_RE.findall(line)]


def failure_lines(emu) -> list:
    return [l for l in emu.stderr_text().splitlines() if FAILED in l]


def try_fetch(emu, token: str):
    """(status, parsed document or None, response) of one credential GET."""
    r = get(emu, CRED_DOC_PATH, token)
    if r.status == 200:
        return 200, parse_credential_doc(r.text), r
    return r.status, None, r


def assume_role_args(sts_url: str, *extra) -> list:
    return ["--source", "assume-role", "--role-arn", ROLE_ARN, "--session-name", "itest",
            "--sts-endpoint", sts_url, *extra]


def lenient_doc(text: str) -> dict:
    """A credential document whose keys need not be ASIA/STS-shaped (static, long-term keys)."""
    doc = json.loads(text)
    assert doc.get("Code") == "Success", doc
    assert doc.get("Type") == "AWS-HMAC", doc
    return doc


# =========================================================================== 1. assume-role


def test_assume_role_env_keys_boto3_cli_and_account(emulator, moto, sts_proxy, home, aws_env,
                                                    run_client, aws_cli):
    """Env keys → AssumeRole at moto; boto3's chain and the AWS CLI, through the emulator, act as
    assumed-role/test-role/itest; iam/info and the identity document carry the role's account."""
    import boto3

    proxy = sts_proxy(moto.url)
    emu = emulator(*assume_role_args(proxy.url), env=source_env(home, key_env()))

    # What the emulator asked STS for, signed with the environment's source key.
    calls = proxy.calls("AssumeRole")
    assert len(calls) == 1, [c["params"] for c in calls]
    p = calls[0]["params"]
    assert p["RoleArn"] == ROLE_ARN and p["RoleSessionName"] == "itest", p
    assert p.get("DurationSeconds", "3600") == "3600", p
    assert signing_scope(calls[0]) == (ENV_KEY, "us-east-1")
    assert "x-amz-security-token" not in calls[0]["headers"]

    # boto3's default chain, pointed at the emulator by the endpoint variable.
    aws_env(emu.url)
    session = boto3.Session()
    creds = session.get_credentials()
    assert creds is not None and creds.method == "iam-role", creds
    arn = session.client("sts", endpoint_url=moto.url).get_caller_identity()["Arn"]
    assert arn == assumed_arn(), arn
    served = fetch_credentials(emu)
    assert creds.get_frozen_credentials().access_key == served["AccessKeyId"]
    assert served["AccessKeyId"] != ENV_KEY

    # The AWS CLI as a subprocess with a clean environment.
    r = run_client(aws_cli + ["sts", "get-caller-identity", "--endpoint-url", moto.url,
                              "--region", "us-east-1", "--output", "json"],
                   endpoint=emu.url, timeout=90)
    assert r.returncode == 0, f"aws exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    assert json.loads(r.stdout)["Arn"] == assumed_arn(), r.stdout

    tok = get_token(emu)
    info = json.loads(get_ok(emu, MD + "iam/info", tok))
    assert info["InstanceProfileArn"].startswith(f"arn:aws:iam::{ACCOUNT}:instance-profile/"), info
    assert json.loads(get_ok(emu, IDENTITY_DOC, tok))["accountId"] == ACCOUNT

    assert served["AccessKeyId"] in published_keys(emu), emu.stderr_text()
    assert_no_secrets(emu, {ENV_SECRET} | proxy.issued_secrets())


def test_assume_role_defaults_and_yaml_keys(emulator, moto, sts_proxy, home, tmp_path):
    """Defaults: session name imds-emulator-<host> (STS-safe, ≤ 64), 1 h, us-east-1; every flag
    also works as a YAML key; a source session token is sent along."""
    proxy = sts_proxy(moto.url)
    emulator("--source", "assume-role", "--role-arn", ROLE_ARN, "--sts-endpoint", proxy.url,
             env=source_env(home, key_env(SOURCE_SESSION_TOKEN)))
    (call,) = proxy.calls("AssumeRole")
    name = call["params"]["RoleSessionName"]
    assert re.fullmatch(r"[\w+=,.@-]{2,64}", name), name
    assert name.startswith("imds-emulator-"), name
    host = socket.gethostname()
    if re.fullmatch(r"[\w+=,.@-]+", host) and len("imds-emulator-" + host) <= 64:
        assert name == "imds-emulator-" + host, name
    assert call["params"].get("DurationSeconds", "3600") == "3600", call["params"]
    assert signing_scope(call) == (ENV_KEY, "us-east-1")
    assert call["headers"].get("x-amz-security-token") == SOURCE_SESSION_TOKEN

    cfg = tmp_path / "imds.yaml"
    cfg.write_text(
        "source: assume-role\n"
        f"role-arn: {ROLE_ARN}\n"
        "session-name: yaml-session\n"
        "external-id: yaml-external-id\n"
        "duration: 20m\n"
        "sts-region: eu-west-2\n"
        f"sts-endpoint: {proxy.url}\n")
    emu = emulator("--config", str(cfg), env=source_env(home, key_env()))
    call = proxy.calls("AssumeRole")[-1]
    assert call["params"]["RoleSessionName"] == "yaml-session", call["params"]
    assert call["params"]["ExternalId"] == "yaml-external-id", call["params"]
    assert call["params"]["DurationSeconds"] == "1200", call["params"]
    assert signing_scope(call) == (ENV_KEY, "eu-west-2")
    doc = fetch_credentials(emu)
    assert 1190 <= iso_to_epoch(doc["Expiration"]) - time.time() <= 1210, doc["Expiration"]
    assert caller_arn(moto.url, doc) == assumed_arn(session="yaml-session")
    assert_no_secrets(emu, {ENV_SECRET, SOURCE_SESSION_TOKEN} | proxy.issued_secrets())


# =========================================================================== 2. rotation


def test_forced_short_rotation_publishes_new_working_keys(emulator, moto, sts_proxy, home):
    """--duration 15m --rotate-every 3s: a new key within ~8 s that moto accepts; between
    changes every fetch returns the identical document."""
    proxy = sts_proxy(moto.url)
    emu = emulator(*assume_role_args(proxy.url, "--duration", "15m", "--rotate-every", "3s"),
                   env=source_env(home, key_env()))
    assert proxy.calls("AssumeRole")[0]["params"]["DurationSeconds"] == "900"
    tok = get_token(emu)
    docs = {}           # key -> raw document texts seen
    order = []
    deadline = time.monotonic() + 9
    while time.monotonic() < deadline and len(order) < 3:
        r = get(emu, CRED_DOC_PATH, tok)
        assert r.status == 200, r
        doc = parse_credential_doc(r.text)
        key = doc["AccessKeyId"]
        if key not in docs:
            order.append(key)
            docs[key] = set()
            assert 880 <= iso_to_epoch(doc["Expiration"]) - iso_to_epoch(doc["LastUpdated"]) <= 905
            assert caller_arn(moto.url, doc) == assumed_arn(), key
        docs[key].add(r.text)
        time.sleep(0.2)
    assert len(order) >= 2, f"served key never changed within 9 s: {order}"
    for key, texts in docs.items():
        assert len(texts) == 1, f"{len(texts)} different documents for {key}"
    published = published_keys(emu)
    assert all(k in published for k in order), (order, published)
    assert len(proxy.calls("AssumeRole")) >= len(order)
    assert_no_secrets(emu, {ENV_SECRET} | proxy.issued_secrets())


# =========================================================================== 3. outages


def test_sts_outage_keeps_serving_then_recovers(emulator, moto_factory, home):
    """moto stopped: the same key is served for > 3 rotate periods while failures are logged;
    moto back on the same port: a new, working key is published within ~15 s."""
    sts = moto_factory()
    emu = emulator(*assume_role_args(sts.url, "--duration", "15m", "--rotate-every", "2s"),
                   env=source_env(home, key_env()))
    tok = get_token(emu)
    sts.stop()
    wait_until(lambda: failure_lines(emu), timeout=6, what=f"a '{FAILED}' line")
    n_pub = len(published_keys(emu))
    first = fetch_credentials(emu, ROLE, tok)
    end = time.monotonic() + 6.5           # > 3 periods of 2 s
    while time.monotonic() < end:
        doc = fetch_credentials(emu, ROLE, tok)
        assert doc == first, "the served set changed while STS was down"
        time.sleep(0.25)
    assert len(published_keys(emu)) == n_pub, "a set was published while STS was down"
    fails = failure_lines(emu)
    assert len(fails) >= 3, fails
    assert any(re.search(r"connect|refused|127\.0\.0\.1|network|unreachable", l, re.I)
               for l in fails), fails

    sts.start()
    new = wait_until(lambda: (lambda d: d if d["AccessKeyId"] != first["AccessKeyId"] else None)(
        fetch_credentials(emu, ROLE, tok)), timeout=15, interval=0.25,
        what="a new key after STS came back")
    assert new["AccessKeyId"] in published_keys(emu)
    assert caller_arn(sts.url, new) == assumed_arn()
    assert_no_secrets(emu, {ENV_SECRET, first["SecretAccessKey"], first["Token"],
                            new["SecretAccessKey"], new["Token"]})


def test_sts_error_code_is_reported_and_recovered(emulator, moto, sts_proxy, home):
    """An STS AccessDenied during refresh is logged with its code, the old set stays; once STS
    answers again a new set is published by itself."""
    proxy = sts_proxy(moto.url)
    emu = emulator(*assume_role_args(proxy.url, "--duration", "15m", "--rotate-every", "2s"),
                   env=source_env(home, key_env()))
    tok = get_token(emu)
    proxy.fail_with = (403, STS_ACCESS_DENIED)
    wait_until(lambda: [l for l in failure_lines(emu) if "AccessDenied" in l], timeout=6,
               what="a refresh failure line naming AccessDenied")
    kept = fetch_credentials(emu, ROLE, tok)
    assert caller_arn(moto.url, kept) == assumed_arn()
    proxy.fail_with = None
    wait_until(lambda: fetch_credentials(emu, ROLE, tok)["AccessKeyId"] != kept["AccessKeyId"],
               timeout=15, interval=0.25, what="a new key after STS stopped refusing")
    assert_no_secrets(emu, {ENV_SECRET} | proxy.issued_secrets())


# =========================================================================== 4. process source


def test_process_expiry_during_outage(emulator, tmp_path, home):
    """credential_process sets live 8 s; while the command fails the last set is served until it
    expires, then 500 with an access-log error; the command's stderr is logged; it recovers."""
    ps = ProcessScript(tmp_path, "ok", life="8")
    log = tmp_path / "access.log"
    emu = emulator("--source", "process", "--credential-process", ps.command,
                   "--rotate-every", "2s", "--rotate-before", "2s", "--access-log", str(log),
                   env=source_env(home))
    tok = get_token(emu)
    first = fetch_credentials(emu, ROLE, tok)
    ledger = {d["AccessKeyId"]: d for d in ps.issued()}
    assert first["AccessKeyId"] in ledger
    assert first["SecretAccessKey"] == ledger[first["AccessKeyId"]]["SecretAccessKey"]
    assert first["Token"] == ledger[first["AccessKeyId"]]["SessionToken"]
    assert first["Expiration"] == ledger[first["AccessKeyId"]]["Expiration"]
    wait_until(lambda: fetch_credentials(emu, ROLE, tok)["AccessKeyId"] != first["AccessKeyId"],
               timeout=6, interval=0.2, what="a refresh with --rotate-every 2s")

    n_fail = len(failure_lines(emu))
    ps.set_mode("fail")
    wait_until(lambda: len(failure_lines(emu)) > n_fail, timeout=6, what="a refresh failure")
    last_good = ps.issued()[-1]
    expires = iso_to_epoch(last_good["Expiration"])
    served_after_failure = 0
    first_500 = None
    while time.time() < expires + 2.5:
        t = time.time()
        status, doc, r = try_fetch(emu, tok)
        if status == 200:
            assert first_500 is None, "a set was served again after the 500s began"
            assert doc["AccessKeyId"] == last_good["AccessKeyId"], "not the last good set"
            assert t < expires + 1.0, f"served a set {t - expires:.1f}s after its Expiration"
            served_after_failure += 1
        else:
            assert_error_page(r, 500, "Internal Server Error")
            if first_500 is None:
                first_500 = t
        time.sleep(0.2)
    assert served_after_failure, "the last good set was not served while the command failed"
    assert first_500 is not None, "the expired set was still served (no 500)"
    assert first_500 >= expires - 1.0, f"500 began {expires - first_500:.1f}s before Expiration"
    err_recs = [rec for rec in emu.access_records()
                if rec.get("path") == CRED_DOC_PATH and rec.get("status") == 500]
    assert err_recs and all(isinstance(rec.get("error"), str) and rec["error"].strip()
                            for rec in err_recs), err_recs[-3:]
    assert "vault sealed" in emu.stderr_text()

    ps.set_mode("ok")
    doc = wait_until(lambda: try_fetch(emu, tok)[1], timeout=5, interval=0.2,
                     what="a set served again after the command recovered")
    assert doc["AccessKeyId"] in {d["AccessKeyId"] for d in ps.issued()}
    assert doc["AccessKeyId"] in published_keys(emu)
    assert_no_secrets(emu, ps.issued_secrets())


PROCESS_FAILURES = [
    ("fail", ["vault sealed"]),
    ("badjson", ["json"]),
    ("nosecret", ["SecretAccessKey"]),
    ("version2", ["version"]),
]


@pytest.mark.parametrize("mode,needles", PROCESS_FAILURES, ids=[m for m, _ in PROCESS_FAILURES])
def test_process_failure_at_start_exits_1(tmp_path, home, mode, needles):
    """Without --lazy a failing first run exits 1 with one line naming the cause, quoting the
    command's stderr but never its stdout."""
    ps = ProcessScript(tmp_path, mode)
    r, elapsed = run_serve(["--source", "process", "--credential-process", ps.command],
                           source_env(home), tmp_path)
    assert elapsed < 10, f"took {elapsed:.1f}s to give up"
    assert_one_line_exit(r, 1, needles)
    assert BAIT not in r.stderr and BAIT not in r.stdout, "the command's stdout was quoted"


def test_process_without_expiration_is_served(emulator, tmp_path, home):
    """Expiration is optional in credential_process output: such a set is served, unexpired."""
    ps = ProcessScript(tmp_path, "ok", life="none")
    emu = emulator("--source", "process", "--credential-process", ps.command,
                   env=source_env(home))
    doc = fetch_credentials(emu)
    assert doc["AccessKeyId"] == ps.issued()[-1]["AccessKeyId"]
    assert iso_to_epoch(doc["Expiration"]) > time.time() + 60
    assert_no_secrets(emu, ps.issued_secrets())


# =========================================================================== 6. static


def test_static_get_session_token_and_long_term_keys(emulator, moto, sts_proxy, home):
    """static: GetSessionToken signed with the source key, a different key with a token is
    served; --serve-long-term-keys serves the source key itself, calls no STS, warns."""
    proxy = sts_proxy(moto.url)
    env = source_env(home, {"AWS_ACCESS_KEY_ID": BASE_KEY, "AWS_SECRET_ACCESS_KEY": BASE_SECRET})
    emu = emulator("--source", "static", "--duration", "20m", "--sts-endpoint", proxy.url, env=env)
    (call,) = proxy.calls("GetSessionToken")
    assert call["params"]["DurationSeconds"] == "1200", call["params"]
    assert signing_scope(call)[0] == BASE_KEY
    assert not proxy.calls("AssumeRole")
    tok = get_token(emu)
    doc = lenient_doc(get_ok(emu, CRED_DOC_PATH, tok))
    assert doc["AccessKeyId"] != BASE_KEY and doc["SecretAccessKey"] != BASE_SECRET, doc["AccessKeyId"]
    assert doc["Token"], "no session token served"
    assert doc["Token"] in proxy.issued_secrets()
    assert 1190 <= iso_to_epoch(doc["Expiration"]) - time.time() <= 1210, doc["Expiration"]
    assert_no_secrets(emu, {BASE_SECRET} | proxy.issued_secrets())

    proxy2 = sts_proxy(moto.url)
    emu2 = emulator("--source", "static", "--serve-long-term-keys", "--sts-endpoint", proxy2.url,
                    env=env)
    doc2 = lenient_doc(get_ok(emu2, CRED_DOC_PATH, get_token(emu2)))
    assert doc2["AccessKeyId"] == BASE_KEY and doc2["SecretAccessKey"] == BASE_SECRET
    assert not proxy2.calls(), "--serve-long-term-keys called STS"
    assert "long-term" in emu2.stderr_text().lower(), emu2.stderr_text()
    assert_no_secrets(emu2, {BASE_SECRET})


DURATION_BOUNDS = [
    ("assume-role", "15m", "900", "AssumeRole"),
    ("assume-role", "12h", "43200", "AssumeRole"),
    ("static", "15m", "900", "GetSessionToken"),
    ("static", "36h", "129600", "GetSessionToken"),
]


@pytest.mark.parametrize("source,duration,seconds,action", DURATION_BOUNDS,
                         ids=[f"{s}-{d}" for s, d, _, _ in DURATION_BOUNDS])
def test_duration_bounds_are_accepted(emulator, moto, sts_proxy, home, source, duration, seconds,
                                      action):
    """The ends of the --duration ranges (assume-role 15m..12h, static 15m..36h) start and are
    sent to STS as DurationSeconds."""
    proxy = sts_proxy(moto.url)
    args = ["--source", source, "--duration", duration, "--sts-endpoint", proxy.url]
    if source == "assume-role":
        args += ["--role-arn", ROLE_ARN]
    emulator(*args, env=source_env(home, key_env()))
    (call,) = proxy.calls(action)
    assert call["params"]["DurationSeconds"] == seconds, call["params"]


# =========================================================================== 7. profiles, MFA


def write_profiles(tmp_path, with_default: bool = False) -> dict:
    creds = tmp_path / "shared-credentials"
    text = (f"[base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {BASE_SECRET}\n")
    if with_default:
        text += (f"\n[default]\naws_access_key_id = {DEFAULT_KEY}\n"
                 f"aws_secret_access_key = {DEFAULT_SECRET}\n")
    creds.write_text(text)
    config = tmp_path / "shared-config"
    config.write_text(
        "[profile dev]\n"
        f"role_arn = {DEV_ROLE_ARN}\n"
        "source_profile = base\n"
        "role_session_name = from-profile\n"
        "external_id = ext-from-profile\n"
        "duration_seconds = 1800\n"
        "region = eu-west-2\n"
        "\n[profile devmfa]\n"
        f"role_arn = {DEV_ROLE_ARN}\n"
        "source_profile = base\n"
        "role_session_name = mfa-profile\n"
        "mfa_serial = arn:aws:iam::210987654321:mfa/profile-device\n")
    return {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_CONFIG_FILE": str(config)}


def test_profile_with_role_and_source_profile(emulator, moto, sts_proxy, home, tmp_path):
    """--profile dev follows role_arn + source_profile (keys of [base], not the env's) and uses
    the profile's session name, external id, duration and region; flags override them."""
    proxy = sts_proxy(moto.url)
    env = source_env(home, {**write_profiles(tmp_path), **key_env()})
    emu = emulator("--source", "assume-role", "--profile", "dev", "--sts-endpoint", proxy.url,
                   env=env)
    (call,) = proxy.calls("AssumeRole")
    p = call["params"]
    assert p["RoleArn"] == DEV_ROLE_ARN and p["RoleSessionName"] == "from-profile", p
    assert p["ExternalId"] == "ext-from-profile" and p["DurationSeconds"] == "1800", p
    assert signing_scope(call) == (BASE_KEY, "eu-west-2")
    doc = fetch_credentials(emu)
    assert caller_arn(moto.url, doc) == assumed_arn("dev-role", "from-profile", OTHER_ACCOUNT)
    tok = get_token(emu)
    info = json.loads(get_ok(emu, MD + "iam/info", tok))
    assert info["InstanceProfileArn"].startswith(f"arn:aws:iam::{OTHER_ACCOUNT}:instance-profile/")
    assert json.loads(get_ok(emu, IDENTITY_DOC, tok))["accountId"] == OTHER_ACCOUNT
    assert_no_secrets(emu, {BASE_SECRET, ENV_SECRET} | proxy.issued_secrets())

    emulator("--source", "assume-role", "--profile", "dev", "--sts-endpoint", proxy.url,
             "--session-name", "flag-wins", "--duration", "15m", "--sts-region", "ap-south-1",
             env=env)
    p = proxy.calls("AssumeRole")[-1]
    assert p["params"]["RoleSessionName"] == "flag-wins", p["params"]
    assert p["params"]["DurationSeconds"] == "900", p["params"]
    assert signing_scope(p) == (BASE_KEY, "ap-south-1")


SOURCE_CHAIN = [
    # (name, extra env besides the shared files, expected signing key, expected token)
    ("env-keys-first", {**key_env(SOURCE_SESSION_TOKEN), "AWS_PROFILE": "base"}, ENV_KEY,
     SOURCE_SESSION_TOKEN),
    ("aws-profile", {"AWS_PROFILE": "base"}, BASE_KEY, None),
    ("default-profile", {}, DEFAULT_KEY, None),
]


@pytest.mark.parametrize("name,extra,key,token", SOURCE_CHAIN, ids=[c[0] for c in SOURCE_CHAIN])
def test_source_credential_chain(emulator, moto, sts_proxy, home, tmp_path, name, extra, key,
                                 token):
    """Without --profile: AWS_ACCESS_KEY_ID… of the environment, else AWS_PROFILE, else default."""
    proxy = sts_proxy(moto.url)
    env = source_env(home, {**write_profiles(tmp_path, with_default=True), **extra})
    emu = emulator(*assume_role_args(proxy.url), env=env)
    (call,) = proxy.calls("AssumeRole")
    assert signing_scope(call)[0] == key
    assert call["headers"].get("x-amz-security-token") == token
    assert caller_arn(moto.url, fetch_credentials(emu)) == assumed_arn()
    assert_no_secrets(emu, {ENV_SECRET, BASE_SECRET, DEFAULT_SECRET, SOURCE_SESSION_TOKEN}
                      | proxy.issued_secrets())


def test_mfa_command_supplies_token_code(emulator, moto, sts_proxy, home, tmp_path):
    """--mfa-serial with --mfa-command: the command runs, its trimmed stdout is the TokenCode;
    a profile's mfa_serial is used the same way."""
    proxy = sts_proxy(moto.url)
    marker = tmp_path / "mfa-ran"
    cmd = f"echo ran >> '{marker}'; echo 123456"
    emu = emulator(*assume_role_args(proxy.url, "--mfa-serial", MFA_SERIAL, "--mfa-command", cmd),
                   env=source_env(home, key_env()))
    (call,) = proxy.calls("AssumeRole")
    assert call["params"].get("SerialNumber") == MFA_SERIAL, call["params"]
    assert call["params"].get("TokenCode") == "123456", call["params"]
    assert marker.exists() and "ran" in marker.read_text(), "the MFA command did not run"
    assert caller_arn(moto.url, fetch_credentials(emu)) == assumed_arn()

    env = source_env(home, write_profiles(tmp_path))
    emulator("--source", "assume-role", "--profile", "devmfa", "--mfa-command", cmd,
             "--sts-endpoint", proxy.url, env=env)
    p = proxy.calls("AssumeRole")[-1]["params"]
    assert p.get("SerialNumber") == "arn:aws:iam::210987654321:mfa/profile-device", p
    assert p.get("TokenCode") == "123456", p
    assert p["RoleSessionName"] == "mfa-profile", p


# =========================================================================== 8. configuration errors


def _config_cases():
    dead = f"http://127.0.0.1:{free_port()}/"
    ar = ["--source", "assume-role", "--sts-endpoint", dead]
    arn = ar + ["--role-arn", ROLE_ARN]
    keys = key_env()
    return [
        # (id, args, env extras or a marker, needles)
        ("no-role-arn", ar, keys, ["role-arn"]),
        ("arn-short-account", ar + ["--role-arn", "arn:aws:iam::123:role/x"], keys, ["role-arn"]),
        ("not-an-arn", ar + ["--role-arn", "not-an-arn"], keys, ["role-arn"]),
        ("duration-5m", arn + ["--duration", "5m"], keys, ["duration"]),
        ("duration-13h", arn + ["--duration", "13h"], keys, ["duration"]),
        ("static-duration-37h", ["--source", "static", "--sts-endpoint", dead, "--duration", "37h"],
         keys, ["duration"]),
        ("unknown-profile", arn + ["--profile", "nope"], "profiles", ["profile"]),
        ("credentials-file-is-dir", arn, "dir", ["credentials", "profile", "DIR"]),
        ("process-without-command", ["--source", "process"], {}, ["credential-process"]),
        ("no-source-credentials", arn, {}, ["AWS_ACCESS_KEY_ID", "profile"]),
        ("yaml-role-arn", ["--config", "YAML"], keys, ["role-arn"]),
    ]


CONFIG_CASES = _config_cases()


@pytest.mark.parametrize("args,env_extra,needles", [c[1:] for c in CONFIG_CASES],
                         ids=[c[0] for c in CONFIG_CASES])
def test_configuration_errors_exit_2(tmp_path, home, args, env_extra, needles):
    """Each configuration error: exit 2, one stderr line naming the key, never listening."""
    needles = list(needles)
    if env_extra == "profiles":
        env_extra = write_profiles(tmp_path)
    elif env_extra == "dir":
        d = tmp_path / "creds-dir"
        d.mkdir()
        env_extra = {"AWS_SHARED_CREDENTIALS_FILE": str(d)}
        needles = [str(d) if n == "DIR" else n for n in needles]
    if "YAML" in args:
        cfg = tmp_path / "bad.yaml"
        cfg.write_text("source: assume-role\nrole-arn: not-an-arn\n"
                       f"sts-endpoint: http://127.0.0.1:{free_port()}/\n")
        args = [str(cfg) if a == "YAML" else a for a in args]
    r, elapsed = run_serve(args, source_env(home, env_extra), tmp_path, timeout=15)
    assert elapsed < 10
    assert_one_line_exit(r, 2, needles)
    assert ENV_SECRET not in r.stderr + r.stdout


# =========================================================================== 9. --lazy


def test_lazy_start_with_sts_down_then_up(emulator, moto_factory, home):
    """--lazy listens with STS down; a credential GET is answered 500 within ~1.5 s (with an
    access-log error); once STS is up credentials are served within ~15 s."""
    sts = moto_factory(start=False)
    emu = emulator(*assume_role_args(sts.url, "--lazy", "--role", "lazy-role"),
                   env=source_env(home, key_env()))
    tok = get_token(emu)
    # One request at once, one while the retries have backed off to a few seconds.
    for n, delay in enumerate((0.0, 2.5)):
        time.sleep(delay)
        t0 = time.monotonic()
        try:
            r = request(emu, "GET", CREDS_PATH + "lazy-role", [(TOKEN_HEADER, tok)], timeout=4.0)
        except AssertionError as e:
            raise AssertionError(f"credential GET #{n + 1} (sent {delay}s after the previous) not "
                                 f"answered within 4 s with STS down (expected 500 after ~0.9 s): "
                                 f"{e}") from None
        elapsed = time.monotonic() - t0
        assert_error_page(r, 500, "Internal Server Error")
        assert elapsed <= 1.5, f"500 #{n + 1} took {elapsed:.2f}s"
        rec = emu.wait_records(2 + n)[-1]
        assert rec["path"] == CREDS_PATH + "lazy-role" and rec["status"] == 500, rec
        assert isinstance(rec.get("error"), str) and rec["error"].strip(), rec

    sts.start()
    doc = wait_until(lambda: (lambda x: parse_credential_doc(x.text) if x.status == 200 else None)(
        get(emu, CREDS_PATH + "lazy-role", tok)), timeout=15, interval=0.25,
        what="credentials after STS came up")
    assert caller_arn(sts.url, doc) == assumed_arn()


def test_lazy_holds_early_requests_until_the_first_set(emulator, moto, home):
    """--lazy with STS up: a credential request right after listening gets the first set."""
    emu = emulator(*assume_role_args(moto.url, "--lazy"), env=source_env(home, key_env()))
    r = get(emu, CRED_DOC_PATH, get_token(emu))
    assert r.status == 200, r
    assert caller_arn(moto.url, parse_credential_doc(r.text)) == assumed_arn()


def test_without_lazy_sts_down_exits_1(tmp_path, home):
    """No --lazy and nothing listening at the STS endpoint: exit 1 within ~10 s, one line
    about the endpoint or the connection."""
    port = free_port()
    r, elapsed = run_serve(assume_role_args(f"http://127.0.0.1:{port}/"),
                           source_env(home, key_env()), tmp_path, timeout=20)
    assert elapsed <= 10.5, f"took {elapsed:.1f}s to give up"
    assert_one_line_exit(r, 1, [f"127.0.0.1:{port}", "connect", "refused"])
    assert ENV_SECRET not in r.stderr + r.stdout


def test_without_lazy_access_denied_exits_1(moto, sts_proxy, tmp_path, home):
    """No --lazy and STS refuses the role: exit 1 with one line carrying the STS error code."""
    proxy = sts_proxy(moto.url)
    proxy.fail_with = (403, STS_ACCESS_DENIED)
    r, _ = run_serve(assume_role_args(proxy.url), source_env(home, key_env()), tmp_path)
    assert_one_line_exit(r, 1, ["AccessDenied"])


# =========================================================================== 10. secrets


def test_no_secret_in_any_output_at_debug_level(emulator, moto, sts_proxy, home, tmp_path, aws_env):
    """At --log-level debug, with rotation, SDK fetches and a refused refresh, no source secret,
    served secret or session token reaches stdout, stderr or the access-log file."""
    import boto3

    proxy = sts_proxy(moto.url)
    log = tmp_path / "access.log"
    emu = emulator(*assume_role_args(proxy.url, "--duration", "15m", "--rotate-every", "1s",
                                     "--log-level", "debug", "--access-log", str(log)),
                   env=source_env(home, key_env(SOURCE_SESSION_TOKEN)))
    aws_env(emu.url)
    end = time.monotonic() + 3.5
    while time.monotonic() < end:
        boto3.Session().get_credentials().get_frozen_credentials()
        fetch_credentials(emu)
        time.sleep(0.3)
    proxy.fail_with = (403, STS_ACCESS_DENIED)
    wait_until(lambda: failure_lines(emu), timeout=5, what="a refresh failure")
    proxy.fail_with = None
    assert len(published_keys(emu)) >= 2, emu.stderr_text()[-2000:]
    issued = proxy.issued_secrets()
    assert len(issued) >= 4, "expected several issued secrets and tokens"
    assert_no_secrets(emu, {ENV_SECRET, SOURCE_SESSION_TOKEN} | issued)
    assert emu.access_records(), "the access-log file is empty"
