"""The SigV4 vectors the Swift unit tests check our signer against are botocore's own output.

Re-runs the generator with the installed botocore and compares with the committed file, so
the Swift tests never drift from what botocore actually computes.
"""

import json
import pathlib
import subprocess
import sys

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "CredentialSourcesTests" / "Fixtures"


def test_committed_vectors_match_botocore():
    out = subprocess.run([sys.executable, str(FIXTURES / "make_sigv4_vectors.py")], capture_output=True,
                         text=True, timeout=60, check=True)
    fresh = json.loads(out.stdout)
    committed = json.loads((FIXTURES / "sigv4-vectors.json").read_text())
    assert len(committed) >= 4
    assert [v["authorization"] for v in fresh] == [v["authorization"] for v in committed]
    assert any(v["token"] for v in committed), "a vector with a session token"
