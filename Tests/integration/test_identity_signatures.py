"""dynamic/instance-identity/{signature,pkcs7,rsa2048}, verified the way AWS documents it
(openssl dgst / openssl smime against the certificate) and with Python's cryptography; a changed
document fails. The key and certificate: made at start and kept in --state-dir, or the user's
own (--identity-key/--identity-cert), readable through the control API."""

from __future__ import annotations

import base64
import subprocess

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs7

from conftest_control import control_emulator, control_env  # noqa: F401
from imds_helpers import binary, clean_env, get_ok, get_token, run_proc

DYN = "/latest/dynamic/instance-identity/"


def fetch(emu) -> dict:
    token = get_token(emu)
    return {name: get_ok(emu, DYN + name, token) for name in ("document", "signature", "pkcs7", "rsa2048")}


def openssl(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30, cwd=cwd)


def pem(kind: str, body: str) -> str:
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


def verify_all_with_openssl(docs: dict, cert: str, d) -> None:
    """AWS's three procedures, step by step; each must also reject a changed document."""
    (d / "certificate").write_text(cert)
    (d / "document").write_text(docs["document"])
    (d / "changed").write_text(docs["document"].replace('"region"', '"Region"'))
    (d / "signature").write_bytes(base64.b64decode(docs["signature"]))
    r = openssl("x509", "-pubkey", "-noout", "-in", "certificate", "-out", "key", cwd=d)
    assert r.returncode == 0, r.stderr
    r = openssl("dgst", "-sha256", "-verify", "key", "-signature", "signature", "document", cwd=d)
    assert r.returncode == 0 and "Verified OK" in r.stdout, r.stdout + r.stderr
    r = openssl("dgst", "-sha256", "-verify", "key", "-signature", "signature", "changed", cwd=d)
    assert r.returncode != 0 and "Verification failure" in r.stdout + r.stderr

    for name in ("pkcs7", "rsa2048"):
        (d / name).write_text(pem("PKCS7", docs[name]))
        r = openssl("smime", "-verify", "-in", name, "-inform", "PEM", "-certfile", "certificate", "-noverify",
                    cwd=d)
        assert r.returncode == 0 and "Verification successful" in r.stderr, r.stderr
        assert r.stdout == docs["document"], "the signed content is not the served document"
        r = openssl("smime", "-verify", "-in", name, "-inform", "PEM", "-content", "changed",
                    "-certfile", "certificate", "-noverify", cwd=d)
        assert r.returncode != 0, f"{name}: a changed document verified"


def verify_with_cryptography(docs: dict, cert_pem: str) -> None:
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    sig = base64.b64decode(docs["signature"])
    cert.public_key().verify(sig, docs["document"].encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        cert.public_key().verify(sig, docs["document"].encode() + b" ", padding.PKCS1v15(), hashes.SHA256())
    for name in ("pkcs7", "rsa2048"):
        carried = pkcs7.load_der_pkcs7_certificates(base64.b64decode(docs[name]))
        assert carried == [cert], f"{name} does not carry the emulator's certificate"


def test_signatures_verify_and_survive_a_restart(control_emulator, tmp_path):
    """Key and certificate made in --state-dir (key 0600); all three verify; a restart with the
    same directory signs with the same key."""
    state = tmp_path / "state"
    emu = control_emulator("--state-dir", str(state))
    listing = get_ok(emu, DYN, get_token(emu)).split("\n")
    assert listing == ["document", "pkcs7", "rsa2048", "signature"]
    docs = fetch(emu)
    for name in ("signature", "pkcs7", "rsa2048"):
        lines = docs[name].split("\n")
        assert all(len(line) == 64 for line in lines[:-1]) and 0 < len(lines[-1]) <= 64, name
        assert not docs[name].endswith("\n")
    cert = (state / "identity-cert.pem").read_text()
    assert (state / "identity-key.pem").stat().st_mode & 0o777 == 0o600
    assert emu.api("GET", "/v1/identity/certificate").text == cert
    work = tmp_path / "verify"
    work.mkdir()
    verify_all_with_openssl(docs, cert, work)
    verify_with_cryptography(docs, cert)
    key_text = (state / "identity-key.pem").read_text()
    for secret_line in key_text.splitlines()[1:-1]:
        assert secret_line not in emu.stdout_text() + emu.stderr_text()
    emu.stop()

    again = control_emulator("--state-dir", str(state))
    assert (state / "identity-cert.pem").read_text() == cert
    verify_with_cryptography(fetch(again), cert)


def test_users_own_key_and_certificate(control_emulator, tmp_path):
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem",
                        "-out", "c.pem", "-days", "30", "-subj", "/CN=test-iid"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    emu = control_emulator("--identity-key", str(tmp_path / "k.pem"), "--identity-cert", str(tmp_path / "c.pem"))
    cert = (tmp_path / "c.pem").read_text()
    work = tmp_path / "verify"
    work.mkdir()
    verify_all_with_openssl(fetch(emu), cert, work)
    served = x509.load_pem_x509_certificate(emu.api("GET", "/v1/identity/certificate").body)
    assert served == x509.load_pem_x509_certificate(cert.encode())


@pytest.mark.parametrize("files, needle", [
    (("k.pem", None), "identity-cert"),
    (("k.pem", "other.pem"), "identity-cert"),
    (("c.pem", "c.pem"), "identity-"),
])
def test_bad_identity_files_exit_2(tmp_path, files, needle):
    for name in ("k", "other"):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.pem",
                            "-out", f"{'c' if name == 'k' else 'o'}.pem", "-days", "1", "-subj", "/CN=x"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    (tmp_path / "other.pem").write_text((tmp_path / "o.pem").read_text())  # a certificate of another key
    key, cert = files
    args = ["--identity-key", str(tmp_path / key)] + (["--identity-cert", str(tmp_path / cert)] if cert else [])
    home = tmp_path / "home"
    home.mkdir()
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0", *args], clean_env(home), timeout=20,
                 cwd=str(tmp_path))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1 and needle in lines[0], r.stderr


def test_half_a_key_pair_in_the_state_dir_exits_2(tmp_path):
    """A certificate without its key (a start that died between the two writes): exit 2 naming
    state-dir, not a new key silently beside the old certificate."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "identity-cert.pem").write_text("left over\n")
    home = tmp_path / "home"
    home.mkdir()
    r = run_proc([str(binary()), "serve", "--listen", "127.0.0.1:0", "--state-dir", str(state)], clean_env(home),
                 timeout=20, cwd=str(tmp_path))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1 and "state-dir" in lines[0] and "identity-key.pem" in lines[0], r.stderr
