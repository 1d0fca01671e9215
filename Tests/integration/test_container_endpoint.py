"""The ECS / EKS Pod Identity container credentials endpoint (--container-listen; §6, rule 19).

`GET /v1/credentials` and `GET /v2/credentials/ID` answer the credential set IMDS serves, as
JSON with AccessKeyId, SecretAccessKey, Token, Expiration, AccountId and RoleArn; with
--container-auth-token-file the Authorization header must equal the file's content. botocore's
container provider is the client. Everything runs on 127.0.0.1; clients get
AWS_EC2_METADATA_DISABLED=true and a dead loopback IMDS endpoint so a failing container provider
can never fall through to 169.254.169.254, and the `env --container` test, which starts from a
polluted environment, runs inside a private network namespace.
"""

from __future__ import annotations

import json
import re
import sys
import uuid

import pytest

from conftest_netns import (  # noqa: F401 (fixtures)
    BOTO_DEFAULT_CHAIN, admin_rotate, feature_emulator, http_loopback, last_json_line,
    netns_factory,
)
from imds_helpers import (
    ACCESS_KEY_RE, ISO_Z_RE, SECRET_RE, binary, clean_env, fetch_credentials, free_port, free_ports, run_proc,
    wait_until,
)

ROLE = "imds-emulator"
ACCOUNT = "123456789012"
CRED_KEYS = {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId", "RoleArn"}
TOKEN_1 = "eks-pod-identity-token-AAAA"
TOKEN_2 = "eks-pod-identity-token-BBBB"  # same length: a rotation, as the kubelet does it

# botocore's container provider with its 1 s retry sleep shortened (3 attempts stay 3 attempts).
CONTAINER_CHAIN = ("import botocore.utils\n"
                   "botocore.utils.ContainerMetadataFetcher.SLEEP_TIME = 0.05\n" + BOTO_DEFAULT_CHAIN)


def guard_env() -> dict:
    """Keep any IMDS fallback of the default chain away from link-local addresses."""
    return {"AWS_EC2_METADATA_DISABLED": "true",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{free_port()}/"}


class Container:
    """An emulator with the container endpoint on 127.0.0.1:port (and the control API)."""

    def __init__(self, emu, port: int, token_file, admin_port, admin_token_file):
        self.emu = emu
        self.port = port
        self.token_file = token_file
        self.admin_port = admin_port
        self.admin_token_file = admin_token_file

    def get(self, path: str, auth: str | None = None, method: str = "GET", headers=None):
        h = dict(headers or {})
        if auth is not None:
            h["Authorization"] = auth
        return http_loopback("127.0.0.1", self.port, method, path, h)

    def creds(self, path: str = "/v1/credentials", auth: str | None = TOKEN_1) -> dict:
        status, headers, body = self.get(path, auth)
        assert status == 200, (status, body)
        return json.loads(body)


@pytest.fixture
def container(tmp_path, feature_emulator):
    """Factory: container(*args, token=TOKEN_1 or None) -> Container."""

    def start(*args, token: str | None = TOKEN_1, env=None) -> Container:
        # All three ports at once: an ephemeral --listen port could otherwise land on the
        # admin port picked (and released) a moment before.
        port, admin_port, imds_port = free_ports(3)
        token_file = None
        extra = []
        if token is not None:
            token_file = tmp_path / f"server-token-{port}"
            token_file.write_text(token + "\n")  # the trailing newline is trimmed
            extra = ["--container-auth-token-file", str(token_file)]
        admin_token_file = tmp_path / f"admin-token-{admin_port}"
        admin_token_file.write_text("admin-secret-for-tests\n")
        admin_token_file.chmod(0o600)  # a token file others can read is refused
        emu = feature_emulator("--listen", f"127.0.0.1:{imds_port}", "--container-listen", f"127.0.0.1:{port}", *extra,
                               "--admin-listen", f"127.0.0.1:{admin_port}",
                               "--admin-token-file", str(admin_token_file), *args,
                               container_port=port, env=env)
        return Container(emu, port, token_file, admin_port, admin_token_file)

    return start


def run_botocore(run_client, c: Container, client_token_file=None, path="/v1/credentials") -> dict:
    extra = dict(guard_env(), AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{c.port}{path}")
    if client_token_file is not None:
        extra["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(client_token_file)
    r = run_client([sys.executable, "-c", CONTAINER_CHAIN], extra_env=extra, timeout=60)
    assert r.returncode == 0, r.stderr
    return last_json_line(r.stdout)


def container_records(emu, path: str | None = None) -> list:
    return [r for r in emu.access_records()
            if (r.get("path") or "").startswith(("/v1/credentials", "/v2/credentials"))
            and (path is None or r.get("path") == path)]


def assert_json_error(status_headers_body, status: int) -> dict:
    st, headers, body = status_headers_body
    assert st == status, (st, body)
    assert headers.get("content-type", "").split(";")[0].strip() == "application/json", headers
    doc = json.loads(body)
    assert isinstance(doc.get("code"), str) and doc["code"], doc
    assert isinstance(doc.get("message"), str) and doc["message"], doc
    assert doc.get("HTTPErrorCode") == status, doc
    return doc


# =========================================================================== botocore


def test_botocore_container_provider_gets_imds_credentials(container, run_client, tmp_path):
    """FULL_URI + token file: botocore's container provider gets exactly the set IMDS serves."""
    c = container()
    client_tok = tmp_path / "client-token"
    client_tok.write_text(TOKEN_1)  # botocore sends the file verbatim (no newline allowed)
    got = run_botocore(run_client, c, client_tok)
    assert "error" not in got, got
    served = fetch_credentials(c.emu, ROLE)
    assert got["method"] == "container-role", got
    assert (got["access_key"], got["secret_key"], got["token"]) == (
        served["AccessKeyId"], served["SecretAccessKey"], served["Token"])
    if got.get("account_id") is not None:
        assert got["account_id"] == ACCOUNT, got
    recs = container_records(c.emu, "/v1/credentials")
    assert recs and recs[-1]["status"] == 200, recs
    assert recs[-1].get("role") == ROLE, recs[-1]
    assert recs[-1].get("access_key_id") == served["AccessKeyId"], recs[-1]


def test_token_file_change_is_picked_up(container, run_client, tmp_path):
    """New token in the server's file (and the client's): works; a client with the old one: 403."""
    c = container()
    client_tok = tmp_path / "client-token"
    client_tok.write_text(TOKEN_1)
    assert "error" not in run_botocore(run_client, c, client_tok)

    c.token_file.write_text(TOKEN_2 + "\n")
    wait_until(lambda: c.get("/v1/credentials", TOKEN_2)[0] == 200, timeout=5,
               what="the server to accept the new token")
    assert c.get("/v1/credentials", TOKEN_1)[0] == 403, "the old token is still accepted"
    client_tok.write_text(TOKEN_2)
    got = run_botocore(run_client, c, client_tok)
    assert "error" not in got, got
    assert got["access_key"] == fetch_credentials(c.emu, ROLE)["AccessKeyId"]

    stale = tmp_path / "stale-token"
    stale.write_text(TOKEN_1)
    n = len(container_records(c.emu))
    got = run_botocore(run_client, c, stale)
    assert "error" in got, f"botocore got credentials with a stale token: {got}"
    recs = container_records(c.emu)[n:]
    assert recs and all(r["status"] == 403 for r in recs), recs


def test_botocore_without_token_fails_with_401(container, run_client):
    """No token file on the client: botocore gets no credentials and the server answered 401."""
    c = container()
    got = run_botocore(run_client, c, None)
    assert "error" in got, got
    recs = container_records(c.emu)
    assert recs and all(r["status"] == 401 for r in recs), recs


def test_botocore_v2_path(container, run_client, tmp_path):
    """ECS style /v2/credentials/<uuid> through botocore as well."""
    c = container()
    client_tok = tmp_path / "client-token"
    client_tok.write_text(TOKEN_1)
    got = run_botocore(run_client, c, client_tok, path=f"/v2/credentials/{uuid.uuid4()}")
    assert "error" not in got, got
    assert got["access_key"] == fetch_credentials(c.emu, ROLE)["AccessKeyId"]


# =========================================================================== HTTP contract


@pytest.mark.parametrize("path", ["/v1/credentials", "/v2/credentials/" + str(uuid.uuid4()),
                                  "/v2/credentials/a", "/v2/credentials/" + "A1-" * 42 + "xy"])
def test_document_shape(container, path):
    """200, application/json, exactly the six members, formats, and the values IMDS serves."""
    c = container()
    status, headers, body = c.get(path, TOKEN_1)
    assert status == 200, (status, body)
    assert headers.get("content-type", "").split(";")[0].strip() == "application/json", headers
    doc = json.loads(body)
    assert set(doc) == CRED_KEYS, sorted(doc)
    assert ACCESS_KEY_RE.match(doc["AccessKeyId"]), doc["AccessKeyId"]
    assert SECRET_RE.match(doc["SecretAccessKey"])
    assert isinstance(doc["Token"], str) and len(doc["Token"]) >= 300
    assert ISO_Z_RE.match(doc["Expiration"]), doc["Expiration"]
    assert re.fullmatch(r"\d{12}", doc["AccountId"]), doc["AccountId"]
    assert doc["AccountId"] == ACCOUNT
    assert doc["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", doc["RoleArn"]
    served = fetch_credentials(c.emu, ROLE)
    for k in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration"):
        assert doc[k] == served[k], k


def test_role_and_account_follow_configuration(container, tmp_path):
    """--role and instance.account-id of the config file show up in AccountId and RoleArn."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text('instance:\n  account-id: "210987654321"\n')
    c = container("--config", str(cfg), "--role", "app-role")
    doc = c.creds()
    assert doc["AccountId"] == "210987654321", doc
    assert doc["RoleArn"] == "arn:aws:iam::210987654321:role/app-role", doc
    assert doc["AccessKeyId"] == fetch_credentials(c.emu, "app-role")["AccessKeyId"]


def test_missing_authorization_is_401(container):
    """No Authorization header: 401 with the JSON error body."""
    c = container()
    assert_json_error(c.get("/v1/credentials"), 401)
    assert_json_error(c.get(f"/v2/credentials/{uuid.uuid4()}"), 401)


@pytest.mark.parametrize("auth", [TOKEN_2, "Bearer " + TOKEN_1, TOKEN_1.lower(), TOKEN_1[:-1],
                                  TOKEN_1 + "A"])
def test_wrong_authorization_is_403(container, auth):
    """Anything but the file's exact content: 403 with the JSON error body."""
    c = container()
    assert_json_error(c.get("/v1/credentials", auth), 403)


def test_without_token_file_no_authorization_needed(container):
    """Without --container-auth-token-file a plain GET is answered."""
    c = container(token=None)
    status, _, body = c.get("/v1/credentials")
    assert status == 200, body
    assert json.loads(body)["AccessKeyId"] == fetch_credentials(c.emu, ROLE)["AccessKeyId"]


@pytest.mark.parametrize("path", [
    "/", "/v1", "/v1/credentials/extra", "/v2/credentials", "/v2/credentials/",
    "/v2/credentials/" + "a" * 129, "/v2/credentials/has_underscore", "/v2/credentials/a.b",
    "/v2/credentials/abc/def", "/v3/credentials", "/latest/meta-data/iam/security-credentials/",
])
def test_other_paths_are_404(container, path):
    """Unknown paths (and IDs outside 1-128 of [A-Za-z0-9-]): 404 JSON."""
    c = container()
    assert_json_error(c.get(path, TOKEN_1), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/v1/credentials", "/v2/credentials/abc-123"])
def test_other_methods_are_405(container, method, path):
    """Methods other than GET on the credential paths: 405 JSON."""
    c = container()
    assert_json_error(c.get(path, TOKEN_1, method=method), 405)


def test_rotation_is_reflected(container):
    """After an IMDS rotation the container endpoint serves the new set at once."""
    c = container()
    before = c.creds()
    assert before["AccessKeyId"] == fetch_credentials(c.emu, ROLE)["AccessKeyId"]
    admin_rotate(c.admin_port, c.admin_token_file)
    imds_now = fetch_credentials(c.emu, ROLE)
    assert imds_now["AccessKeyId"] != before["AccessKeyId"], "rotation did not change IMDS"
    for path in ("/v1/credentials", "/v2/credentials/abc"):
        after = c.creds(path)
        assert after["AccessKeyId"] == imds_now["AccessKeyId"], path
        assert after["Token"] == imds_now["Token"], path
        assert after["Expiration"] == imds_now["Expiration"], path


def test_short_lifetime_rotation_is_reflected(container):
    """With a 2 s rotation schedule, the container endpoint follows IMDS key by key."""
    c = container("--credential-lifetime", "20s", "--rotate-every", "2s", "--rotate-before", "5s")
    first = c.creds()["AccessKeyId"]
    wait_until(lambda: c.creds()["AccessKeyId"] != first, timeout=8, interval=0.2,
               what="a rotated key on the container endpoint")
    # Both endpoints agree at one moment (retry once if a rotation fell between the two reads).
    for _ in range(3):
        a = c.creds()["AccessKeyId"]
        b = fetch_credentials(c.emu, ROLE)["AccessKeyId"]
        if a == b:
            break
    assert a == b


def test_access_log_records(container):
    """Container requests are in the access log with role and access_key_id (errors too)."""
    c = container()
    doc = c.creds("/v2/credentials/task-1")
    c.get("/v1/credentials")  # 401
    recs = c.emu.wait_records(2)
    ok = [r for r in recs if r.get("path") == "/v2/credentials/task-1"]
    assert ok and ok[-1]["status"] == 200 and ok[-1]["method"] == "GET", recs
    assert ok[-1].get("role") == ROLE and ok[-1].get("access_key_id") == doc["AccessKeyId"], ok[-1]
    denied = [r for r in recs if r.get("path") == "/v1/credentials"]
    assert denied and denied[-1]["status"] == 401, recs
    assert denied[-1].get("access_key_id") in (None, ""), "a refused request logged a key"


def test_authorization_token_never_logged(container):
    """Neither the expected token nor a wrong one appears in the access log or stderr."""
    c = container()
    c.creds()
    c.get("/v1/credentials", "wrong-token-value-ZZZZ")
    c.emu.wait_records(2)
    text = c.emu.access_log_text() + c.emu.stderr_text()
    assert TOKEN_1 not in text
    assert "wrong-token-value-ZZZZ" not in text


# =========================================================================== Host check


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "127.0.0.1", "localhost", "169.254.170.2",
                                  "169.254.170.23", "[fd00:ec2::23]", "[fd00:ec2::23]:80",
                                  "169.254.169.254"])
def test_container_host_allowed(container, host):
    """The listen address, localhost and the ECS/EKS addresses pass the Host check."""
    c = container()
    status, _, body = c.get("/v1/credentials", TOKEN_1, headers={"Host": host.format(port=c.port)})
    assert status == 200, (host, status, body)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "169.254.170.2.evil.example"])
def test_container_foreign_host_refused(container, host):
    """A foreign Host on the loopback container endpoint: 403, logged with an `error`."""
    c = container()
    status, _, body = c.get("/v1/credentials", TOKEN_1, headers={"Host": host.format(port=c.port)})
    assert status == 403, (status, body)
    recs = c.emu.wait_records(1)
    rec = [r for r in recs if r.get("path") == "/v1/credentials"]
    assert rec and rec[-1]["status"] == 403 and rec[-1].get("error"), rec


def test_container_host_check_follows_settings(container):
    """--allow-host names pass on the container endpoint too; --require-host disabled lets anything in."""
    c = container("--allow-host", "pods.test")
    assert c.get("/v1/credentials", TOKEN_1, headers={"Host": "pods.test:8080"})[0] == 200
    assert c.get("/v1/credentials", TOKEN_1, headers={"Host": "evil.example"})[0] == 403
    c = container("--require-host", "disabled")
    assert c.get("/v1/credentials", TOKEN_1, headers={"Host": "evil.example"})[0] == 200


# =========================================================================== configuration


def test_container_listen_from_environment(feature_emulator, emulator_env, tmp_path):
    """IMDS_EMULATOR_CONTAINER_LISTEN / _CONTAINER_AUTH_TOKEN_FILE work like the flags."""
    port = free_port()
    env = dict(emulator_env, IMDS_EMULATOR_CONTAINER_LISTEN=f"127.0.0.1:{port}")
    emu = feature_emulator(env=env, container_port=port)
    status, _, body = http_loopback("127.0.0.1", port, "GET", "/v1/credentials")
    assert status == 200, body
    assert json.loads(body)["AccessKeyId"] == fetch_credentials(emu, ROLE)["AccessKeyId"]
    emu.stop()
    tok = tmp_path / "env-token"
    tok.write_text(TOKEN_1)
    port = free_port()
    env = dict(emulator_env, IMDS_EMULATOR_CONTAINER_LISTEN=f"127.0.0.1:{port}",
               IMDS_EMULATOR_CONTAINER_AUTH_TOKEN_FILE=str(tok))
    feature_emulator(env=env, container_port=port)
    assert http_loopback("127.0.0.1", port, "GET", "/v1/credentials")[0] == 401
    assert http_loopback("127.0.0.1", port, "GET", "/v1/credentials",
                         {"Authorization": TOKEN_1})[0] == 200


def test_container_settings_from_config_file(feature_emulator, tmp_path):
    """`container-listen` and `container-auth-token-file` keys of the YAML file."""
    tok = tmp_path / "file-token"
    tok.write_text(TOKEN_1 + "\n")
    port = free_port()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"container-listen: 127.0.0.1:{port}\ncontainer-auth-token-file: {tok}\n")
    feature_emulator("--config", str(cfg), container_port=port)
    assert http_loopback("127.0.0.1", port, "GET", "/v1/credentials")[0] == 401
    assert http_loopback("127.0.0.1", port, "GET", "/v1/credentials",
                         {"Authorization": TOKEN_1})[0] == 200


def test_container_endpoint_off_by_default(emulator):
    """Without --container-listen nothing answers /v1/credentials on the IMDS port."""
    emu = emulator()
    status, _, body = http_loopback("127.0.0.1", emu.port, "GET", "/v1/credentials")
    assert status in (401, 404) and b"AccessKeyId" not in body, (status, body)


# =========================================================================== env --container


def run_env(tmp_path, *args):
    home = tmp_path / "env-home"
    home.mkdir(exist_ok=True)
    return run_proc([str(binary()), "env", *args], clean_env(home), timeout=15, cwd=str(tmp_path))


def _export_re(name: str, value: str) -> str:
    return rf"^export {name}=(['\"]?){re.escape(value)}\1$"


def test_env_container_prints_lines(tmp_path):
    """`env --container` exports FULL_URI (and the token file) and unsets RELATIVE_URI and keys."""
    tok = tmp_path / "pod-token"
    r = run_env(tmp_path, "--container", "--container-listen", "127.0.0.1:9256",
                "--container-auth-token-file", str(tok))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert re.search(_export_re("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                "http://127.0.0.1:9256/v1/credentials"), out, re.M), out
    assert re.search(_export_re("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(tok)), out, re.M), out
    unset = " ".join(line for line in out.splitlines() if line.startswith("unset "))
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert re.search(rf"\b{name}\b", unset), f"{name} not unset:\n{out}"
    assert not re.search(r"\bAWS_CONTAINER_CREDENTIALS_FULL_URI\b", unset), out

    r = run_env(tmp_path, "--container", "--container-listen", "127.0.0.1:9256")
    assert r.returncode == 0, r.stderr
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" not in r.stdout, r.stdout
    assert re.search(_export_re("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                "http://127.0.0.1:9256/v1/credentials"), r.stdout, re.M), r.stdout


def test_env_container_ipv6_listen(tmp_path):
    """An IPv6 listen address is printed in brackets."""
    r = run_env(tmp_path, "--container", "--container-listen", "[::1]:9256")
    assert r.returncode == 0, r.stderr
    assert re.search(_export_re("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::1]:9256/v1/credentials"),
                     r.stdout, re.M), r.stdout


def test_env_container_output_survives_eval_with_odd_paths(tmp_path):
    """A token-file path with a space or a quote comes out of `eval` unchanged (no network involved)."""
    d = tmp_path / "pod identity"
    d.mkdir()
    tok = d / "it's-token"
    home = tmp_path / "eval-home"
    home.mkdir()
    script = ('eval "$("$IMDS_BIN" env --container --container-listen 127.0.0.1:9256 '
              '--container-auth-token-file "$TOKFILE")" && '
              'printf "%s\\n" "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"')
    r = run_proc(["bash", "-c", script],
                 clean_env(home, extra={"IMDS_BIN": str(binary()), "TOKFILE": str(tok)}),
                 timeout=15, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [str(tok), "http://127.0.0.1:9256/v1/credentials"], r.stdout


EVAL_SCRIPT = r'''
set -e
eval "$("$IMDS_BIN" env --container --container-listen "$C_LISTEN" --container-auth-token-file "$C_TOKEN_FILE")"
for v in AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; do
    if env | grep -q "^$v="; then echo "{\"error\": \"$v still set\"}"; exit 0; fi
done
export AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT="$DEAD_IMDS"
exec "$PY" -c "$CHAIN"
'''


def test_env_container_eval_lets_boto3_find_credentials(netns_factory, feature_emulator, tmp_path):
    """In a shell full of stale keys and a RELATIVE_URI, `eval "$(env --container …)"` makes boto3 use the endpoint.

    Runs in a private namespace: were RELATIVE_URI left set, botocore would go to 169.254.170.2."""
    ns = netns_factory()
    port = free_port()
    server_tok = tmp_path / "server-token"
    server_tok.write_text(TOKEN_1 + "\n")
    client_tok = tmp_path / "client-token"
    client_tok.write_text(TOKEN_1)
    emu = feature_emulator("--listen", "127.0.0.1:9254", "--container-listen", f"127.0.0.1:{port}",
                           "--container-auth-token-file", str(server_tok), netns=ns,
                           container_port=port)
    extra = {
        "IMDS_BIN": str(binary()), "C_LISTEN": f"127.0.0.1:{port}", "C_TOKEN_FILE": str(client_tok),
        "PY": sys.executable, "CHAIN": CONTAINER_CHAIN, "DEAD_IMDS": "http://127.0.0.1:1/",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLESTALEKEY1", "AWS_SECRET_ACCESS_KEY": "x" * 40,
        "AWS_SESSION_TOKEN": "stale", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/stale",
    }
    r = ns.run(["bash", "-c", EVAL_SCRIPT], extra_env=extra, timeout=60)
    assert r.returncode == 0, f"{r.returncode}\n{r.stdout}\n{r.stderr}"
    got = last_json_line(r.stdout)
    assert "error" not in got, f"{got}\n{r.stderr}"
    assert got["method"] == "container-role", got
    recs = container_records(emu, "/v1/credentials")
    assert recs and recs[-1]["status"] == 200, recs
    assert got["access_key"] == recs[-1]["access_key_id"], (got, recs[-1])
