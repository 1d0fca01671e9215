"""Real botocore/boto3 credential refresh driven through the control API (docs/control-api.md),
checked against what docs/imds-behaviour.md §5.1 and §9 say botocore 1.43 does.

Clients run in process with conftest's `aws_env` (temporary HOME, no AWS_* or proxy variables
from the caller, the endpoint variable pointing at the emulator on 127.0.0.1). Where botocore's
decision depends on time, its own clock is shifted together with the emulator's
(`BotocoreClock`). Signed requests go to the loopback capture server only.
"""

from __future__ import annotations

import logging
import time

import pytest

from conftest_control import ROLE, iso_epoch
from conftest_control import (  # noqa: F401 (fixtures)
    botocore_clock, control_emulator, control_env,
)
from imds_helpers import (
    CREDS_PATH, TOKEN_PATH, fetch_credentials, get, get_token, signing_key_id,
)

CRED_DOC_PATH = CREDS_PATH + ROLE
MIN = 60


def botocore_records(emu, since: int, path: str | None = None) -> list:
    """Journal records after `since` sent by botocore (its User-Agent), optionally for one path."""
    return [r for r in emu.journal_all(since)
            if "otocore" in (r.get("user_agent") or "") and (path is None or r["path"] == path)]


def cred_gets(emu, since: int) -> list:
    return botocore_records(emu, since, CRED_DOC_PATH)


def new_credentials():
    """A fresh botocore session's default chain (only IMDS can answer in this environment)."""
    import botocore.session

    return botocore.session.Session().get_credentials()


# =========================================================================== rotation


def test_botocore_switches_to_the_rotated_key(control_emulator, aws_env, capture_sts):
    """§5.1/§9.4-5: botocore keeps a set until its refresh window, so right after `rotate` held
    credentials still carry the old key and botocore asks IMDS nothing; a new session fetches and
    signs with the new key; a RefreshableCredentials whose refresh is due switches to it too."""
    import boto3

    emu = control_emulator()
    aws_env(emu.url)
    creds = new_credentials()
    assert creds is not None and creds.method == "iam-role"
    k1 = creds.get_frozen_credentials().access_key
    assert k1 == fetch_credentials(emu, ROLE)["AccessKeyId"]

    since = emu.journal_seq()
    k2 = emu.rotate()["access_key_id"]
    assert k2 != k1
    assert creds.get_frozen_credentials().access_key == k1
    assert not botocore_records(emu, since), "botocore refetched with 6 h left"

    sts = boto3.Session().client("sts", endpoint_url=capture_sts.url, region_name="us-east-1")
    sts.get_caller_identity()
    assert signing_key_id(capture_sts.captured[-1]["authorization"]) == k2
    gets = cred_gets(emu, since)
    assert [(r["status"], r["imds_version"], r["access_key_id"]) for r in gets] == [(200, "v2", k2)]

    # Make the old object's refresh due (windows larger than the 6 h left): it refetches.
    creds._advisory_refresh_timeout = creds._mandatory_refresh_timeout = 7 * 3600
    assert creds.get_frozen_credentials().access_key == k2
    assert len(cred_gets(emu, since)) == 2


@pytest.mark.parametrize("window,left", [("advisory", 14 * MIN), ("mandatory", 8 * MIN)])
def test_refresh_windows_after_clock_shift(control_emulator, aws_env, botocore_clock, caplog,
                                           window, left):
    """§5.1 refresh windows (advisory 15 min, mandatory 10 min) with both clocks shifted together:

    1. 16 min before Expiration botocore does not refresh (no credential GET);
    2. inside the window (14 or 8 min left) a failed refresh raises CredentialRetrievalError
       (§5.1 failure quirk: even in the advisory window), and the next access refreshes: one
       credential GET; the emulator has not rotated (--rotate-before 5m), so the key is the same
       and, the set having < 17 min left, botocore stretches it to now + 17-25 min (static
       stability);
    3. after an admin `rotate` botocore keeps the stretched set (> 15 min left, no GET) until the
       window comes again (+11 min), then switches to the rotated key.
    """
    from botocore.exceptions import CredentialRetrievalError

    emu = control_emulator("--rotate-every", "24h", "--rotate-before", "5m")
    aws_env(emu.url)
    caplog.set_level(logging.INFO, logger="botocore")
    creds = new_credentials()
    assert creds is not None
    botocore_clock.attach(creds)
    k1 = creds.get_frozen_credentials().access_key
    expiration = iso_epoch(emu.role_state()["expiration"])

    def shift_to(seconds_left: int) -> None:
        botocore_clock.shift(emu, int(expiration - time.time() - seconds_left))

    # 1. outside both windows
    since = emu.journal_seq()
    shift_to(16 * MIN)
    assert creds.get_frozen_credentials().access_key == k1
    assert not cred_gets(emu, since), "botocore refreshed with 16 min left"
    assert emu.role_state()["access_key_id"] == k1, "the emulator rotated by itself"

    # 2. inside the window: a failing refresh raises, the next one fetches
    shift_to(left)
    since = emu.journal_seq()
    emu.put_faults([{"match": "credentials", "status": 500, "count": 1}])
    with pytest.raises(CredentialRetrievalError):
        creds.get_frozen_credentials()
    assert [r["status"] for r in cred_gets(emu, since)] == [500]
    caplog.clear()
    frozen = creds.get_frozen_credentials()
    gets = cred_gets(emu, since)
    assert [r["status"] for r in gets] == [500, 200], gets
    assert gets[0].get("fault") and gets[1]["imds_version"] == "v2"
    assert frozen.access_key == k1 == gets[-1]["access_key_id"]
    now = botocore_clock.now_epoch()
    stretched = creds._expiry_time.timestamp()
    assert now + 17 * MIN - 2 <= stretched <= now + 25 * MIN + 1, (stretched - now) / 60
    assert any("Attempting credential expiration extension" in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]

    # 3. a rotation is picked up at the next window, not before
    rotated = emu.rotate()
    k2 = rotated["access_key_id"]
    since = emu.journal_seq()
    assert creds.get_frozen_credentials().access_key == k1
    assert not cred_gets(emu, since), "botocore refreshed a set it believes has > 15 min left"
    botocore_clock.shift(emu, botocore_clock.offset + 11 * MIN)
    assert creds.get_frozen_credentials().access_key == k2
    gets = cred_gets(emu, since)
    assert [(r["status"], r["access_key_id"]) for r in gets] == [(200, k2)], gets
    assert creds._expiry_time.timestamp() == iso_epoch(rotated["expiration"])


# =========================================================================== static stability


def test_expired_document_is_stretched_17_to_25_minutes(control_emulator, aws_env, caplog):
    """§5.1 static stability / §9.7: with `expire {"serve_expired": true}` IMDS serves a set whose
    Expiration has passed; botocore accepts it, logs "Attempting credential expiration extension"
    at INFO and sets the expiry to now + 17-25 min."""
    emu = control_emulator()
    aws_env(emu.url)
    key = emu.expire(serve_expired=True)["access_key_id"]
    time.sleep(1.1)
    doc = fetch_credentials(emu, ROLE)
    assert doc["AccessKeyId"] == key and iso_epoch(doc["Expiration"]) <= time.time()

    caplog.set_level(logging.INFO, logger="botocore")
    since = emu.journal_seq()
    t0 = time.time()
    creds = new_credentials()
    t1 = time.time()
    assert creds is not None, "botocore refused the expired set"
    assert creds.get_frozen_credentials().access_key == key
    ext = [r for r in caplog.records
           if "Attempting credential expiration extension" in r.getMessage()]
    assert len(ext) == 1 and ext[0].levelno == logging.INFO and ext[0].name.startswith("botocore")
    expiry = creds._expiry_time.timestamp()
    assert t0 + 17 * MIN - 1 <= expiry <= t1 + 25 * MIN, (expiry - t0) / 60
    gets = cred_gets(emu, since)
    assert [(r["status"], r["access_key_id"]) for r in gets] == [(200, key)]


# =========================================================================== token endpoint


@pytest.mark.parametrize("status", [403, 404, 405])
def test_token_403_404_405_falls_back_to_imdsv1(control_emulator, aws_env, status):
    """§5.0/§5.1: 403, 404 or 405 on the token PUT → botocore uses IMDSv1; with IMDSv1 enabled on
    the emulator it gets credentials and the journal shows its credential GET as v1."""
    emu = control_emulator()
    aws_env(emu.url)
    assert emu.settings(imdsv1="enabled")["imdsv1"] == "enabled"
    emu.put_faults([{"match": "token", "status": status}])
    since = emu.journal_seq()
    creds = new_credentials()
    assert creds is not None, f"no credentials after a {status} on the token path"
    key = creds.get_frozen_credentials().access_key
    recs = botocore_records(emu, since)
    puts = [r for r in recs if r["path"] == TOKEN_PATH]
    assert [(r["method"], r["status"]) for r in puts] == [("PUT", status)], puts
    assert puts[0].get("fault")
    gets = [r for r in recs if r["path"] == CRED_DOC_PATH]
    assert [(r["status"], r["imds_version"]) for r in gets] == [(200, "v1")], gets
    assert gets[0]["access_key_id"] == key


@pytest.mark.parametrize("status", [403, 405])
def test_token_failure_with_imdsv1_disabled_on_the_emulator_gives_nothing(control_emulator,
                                                                         aws_env, status):
    """§5.1/§9.10: botocore falls back to a tokenless GET, which the emulator (IMDSv1 disabled,
    the default) answers 401; the chain finds no credentials."""
    emu = control_emulator()
    aws_env(emu.url)
    assert emu.state()["settings"]["imdsv1"] == "disabled"
    emu.put_faults([{"match": "token", "status": status}])
    since = emu.journal_seq()
    assert new_credentials() is None
    recs = botocore_records(emu, since)
    assert recs and all(r["status"] in (status, 401) for r in recs), recs
    assert not [r for r in recs if r["path"] == CRED_DOC_PATH and r["status"] == 200]


def test_token_failure_with_imdsv1_disabled_in_botocore_raises(control_emulator, aws_env,
                                                               monkeypatch):
    """§5.1 'v1 disabled': with AWS_EC2_METADATA_V1_DISABLED=true and no token, botocore raises
    MetadataRetrievalError (not swallowed) and sends no tokenless GET."""
    from botocore.exceptions import MetadataRetrievalError

    emu = control_emulator()
    aws_env(emu.url)
    monkeypatch.setenv("AWS_EC2_METADATA_V1_DISABLED", "true")
    emu.settings(imdsv1="enabled")
    emu.put_faults([{"match": "token", "status": 403}])
    since = emu.journal_seq()
    with pytest.raises(MetadataRetrievalError):
        new_credentials()
    recs = botocore_records(emu, since)
    assert [(r["method"], r["status"]) for r in recs] == [("PUT", 403)], recs


def test_token_400_is_fatal(control_emulator, aws_env):
    """§5.0/§5.1: 400 on the token PUT → botocore gives up: no credentials and no IMDSv1 GET,
    even with IMDSv1 enabled on the emulator."""
    emu = control_emulator()
    aws_env(emu.url)
    emu.settings(imdsv1="enabled")
    emu.put_faults([{"match": "token", "status": 400}])
    since = emu.journal_seq()
    assert new_credentials() is None
    recs = botocore_records(emu, since)
    assert [(r["method"], r["path"], r["status"]) for r in recs] == [("PUT", TOKEN_PATH, 400)], recs
    assert recs[0].get("fault")


def test_revoked_tokens_do_not_affect_botocore(control_emulator, aws_env):
    """§9.3: botocore PUTs a new token on every fetch, so revoking every token mid-run (an
    earlier token now gets 401) does not affect its next refresh."""
    emu = control_emulator()
    aws_env(emu.url)
    creds = new_credentials()
    assert creds is not None
    creds._advisory_refresh_timeout = creds._mandatory_refresh_timeout = 7 * 3600  # refresh due
    key = creds.get_frozen_credentials().access_key
    old_token = get_token(emu)
    assert emu.revoke() == {"revoked": True}
    assert get(emu, CRED_DOC_PATH, old_token).status == 401
    since = emu.journal_seq()
    assert creds.get_frozen_credentials().access_key == key
    recs = botocore_records(emu, since)
    assert [(r["method"], r["path"], r["status"]) for r in recs] == [
        ("PUT", TOKEN_PATH, 200), ("GET", CREDS_PATH, 200), ("GET", CRED_DOC_PATH, 200)], recs
    assert recs[-1]["imds_version"] == "v2"


# =========================================================================== credential faults


def test_one_credentials_500_fails_one_fetch_with_one_attempt(control_emulator, aws_env):
    """§5.1: one attempt by default, so {"match":"credentials","status":500,"count":1} makes the
    first fetch find no credentials and the next one succeed."""
    emu = control_emulator()
    aws_env(emu.url)
    emu.put_faults([{"match": "credentials", "status": 500, "count": 1}])
    since = emu.journal_seq()
    assert new_credentials() is None
    creds = new_credentials()
    assert creds is not None
    key = creds.get_frozen_credentials().access_key
    gets = cred_gets(emu, since)
    assert [r["status"] for r in gets] == [500, 200], gets
    assert gets[0].get("fault") and gets[1]["access_key_id"] == key


def test_one_credentials_500_is_absorbed_by_three_attempts(control_emulator, aws_env,
                                                           monkeypatch):
    """§5.1: with AWS_METADATA_SERVICE_NUM_ATTEMPTS=3 botocore retries a non-200 credential GET,
    so the same one-shot fault costs nothing: the journal shows the 500, then a 200."""
    emu = control_emulator()
    aws_env(emu.url)
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3")
    emu.put_faults([{"match": "credentials", "status": 500, "count": 1}])
    since = emu.journal_seq()
    creds = new_credentials()
    assert creds is not None
    key = creds.get_frozen_credentials().access_key
    gets = cred_gets(emu, since)
    assert [r["status"] for r in gets] == [500, 200], gets
    assert gets[1]["access_key_id"] == key
    puts = [r for r in botocore_records(emu, since) if r["path"] == TOKEN_PATH]
    assert len(puts) == 1, "the retry is of the GET, with the same token"
