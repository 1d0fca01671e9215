"""The suite runs on exactly the packages that requirements.lock pins, in a venv that sees
nothing of the system's or the interpreter's own site packages (scripts/test makes it).
Without this a build machine's preinstalled packages decide which versions are tested, and
a new machine gets others (issue: Debian's awscli 2.x once stood in for the pip CLI v1)."""

from __future__ import annotations

import importlib.metadata
import re
import site
import subprocess
import sys
from pathlib import Path

from imds_helpers import aws_cli_command

LOCK = Path(__file__).with_name("requirements.lock")
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) of each requirement in the lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    name = None
    for line in LOCK.read_text().splitlines():
        m = PIN_RE.match(line)
        if m:
            name = canonical(m.group(1))
            entries[name] = (m.group(2), [])
        elif name and (h := re.match(r"^\s+--hash=sha256:([0-9a-f]{64})", line)):
            entries[name][1].append(h.group(1))
        elif not line.startswith(" "):
            name = None
    return entries


def locked() -> dict[str, str]:
    return {n: v for n, (v, _) in lock_entries().items()}


def test_lock_pins_every_package_with_hashes():
    """Each pin in the lock is exact and carries at least one sha256; awscli is a 1.x."""
    entries = lock_entries()
    assert {"boto3", "botocore", "awscli", "pytest", "moto"} <= entries.keys()
    unhashed = [n for n, (_, hashes) in entries.items() if not hashes]
    assert not unhashed, f"pinned without --hash in {LOCK.name}: {unhashed}"
    assert int(entries["awscli"][0].split(".")[0]) == 1, "the lock must pin the AWS CLI v1"


def test_running_in_an_isolated_venv():
    """A venv, created without --system-site-packages, with no user site on the path."""
    assert sys.prefix != sys.base_prefix, f"not a venv: {sys.prefix}"
    cfg = (Path(sys.prefix) / "pyvenv.cfg").read_text()
    assert re.search(r"(?m)^include-system-site-packages\s*=\s*false\s*$", cfg), cfg
    assert not site.ENABLE_USER_SITE, "the user site directory is on"
    prefix = Path(sys.prefix).resolve()
    base = Path(sys.base_prefix).resolve()
    for entry in filter(None, sys.path):
        p = Path(entry).resolve()
        if "site-packages" in p.parts or "dist-packages" in p.parts:
            assert p.is_relative_to(prefix), f"{entry} on sys.path is outside the venv"
        elif p.is_relative_to(base):
            continue  # the standard library


def test_installed_packages_are_exactly_the_lock():
    """Every distribution in the venv is in the lock at its pinned version, and vice versa
    (pip itself, which the venv brings, aside)."""
    pins = locked()
    installed = {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    installed.pop("pip", None)
    assert installed == pins, {
        "missing": sorted(set(pins) - set(installed)),
        "unlocked": sorted(set(installed) - set(pins)),
        "other versions": {n: (installed[n], pins[n]) for n in set(pins) & set(installed)
                           if installed[n] != pins[n]},
    }


def test_aws_cli_helper_runs_cli_v1():
    """`python -m awscli --version` from the helper's command says aws-cli/1.x."""
    r = subprocess.run([*aws_cli_command(), "--version"], capture_output=True, text=True,
                       timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.match(rf"aws-cli/{re.escape(locked()['awscli'])} ", out), out
