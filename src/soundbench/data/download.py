"""Fetch dataset archives safely: progress bar, HTTP range resume of an interrupted
download, checksum verification, atomic rename, and extraction that refuses members
escaping the target folder.

Files: ``<dest>.part`` while downloading (kept for resume), ``<dest>`` once verified,
``<dest>.corrupt`` when the checksum did not match, or the archive (one without a published
checksum) is incomplete or damaged: kept aside for inspection, never reused.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

from tqdm import tqdm

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    pass


class ChecksumError(DownloadError):
    pass


class CorruptArchiveError(DownloadError):
    """The archive is truncated or damaged; it has been moved aside so a rerun fetches it again."""


class UnsafeArchiveError(DownloadError):
    pass


def file_hash(path: str | Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, dest: str | Path, checksum: str | None = None, timeout: float = 30) -> Path:
    """Download ``url`` to ``dest`` unless a verified copy is there. ``checksum`` is
    ``"sha256:<hex>"`` or ``"md5:<hex>"`` (None: not verified; say so in the caller)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file():
        if _matches(dest, checksum) if checksum else archive_is_complete(dest):
            return dest
        aside = _move_aside(dest)  # never reuse a copy that fails its check; nothing is deleted
        log.warning(
            "%s failed its %s check; kept as %s and downloading again",
            dest,
            "checksum" if checksum else "completeness",
            aside,
        )
    part = dest.with_name(dest.name + ".part")
    try:
        _fetch(url, part, timeout)
    except (urllib.error.URLError, OSError, http.client.HTTPException, DownloadError) as error:
        by_hand = f"lace the file by hand at {dest}" + (f" ({checksum})" if checksum else "") + " and rerun."
        resume = f"Rerun to resume from {part.stat().st_size:,} bytes, or p" if part.exists() else "P"
        raise DownloadError(f"could not download {url}: {getattr(error, 'reason', error)}. {resume}{by_hand}") from None
    if checksum is not None:
        algorithm, expected = checksum.split(":", 1)
        actual = file_hash(part, algorithm)
        if actual != expected.lower():
            aside = _move_aside(part, dest)
            raise ChecksumError(
                f"{url}: {algorithm} mismatch: expected {expected}, got {actual}. "
                f"The file is kept aside as {aside}; delete it and rerun to download again."
            )
    elif not archive_is_complete(
        part, dest.name
    ):  # no checksum to trust (and maybe no Content-Length): look at the end
        raise DownloadError(
            f"could not download {url}: the transfer ended early ({part.stat().st_size:,} bytes, "
            f"the archive's end is missing). Rerun to resume from {part}."
        )
    os.replace(part, dest)  # atomic: dest is either absent or complete and verified
    return dest


def archive_is_complete(path: Path, name: str | None = None) -> bool:
    """Whether an archive without a published checksum arrived whole: a zip's central
    directory sits at its very end (cheap); a tar is read to its end (gzip checks its CRC
    and length there). ``name``: the archive's file name when ``path`` is its .part file.
    Files that are neither are taken as they are."""
    named = Path(name or path.name)
    if named.suffix == ".zip" or zipfile.is_zipfile(path):
        return zipfile.is_zipfile(path)
    try:
        with tarfile.open(path) as tar:
            for _ in tar:
                pass
    except tarfile.ReadError:
        return not _looks_like_tar(named)
    except (EOFError, OSError, zlib.error):
        return False
    return True


def _looks_like_tar(path: Path) -> bool:
    return any(path.name.endswith(s) for s in (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"))


def _move_aside(path: Path, named: Path | None = None) -> Path:
    aside = (named or path).with_name((named or path).name + ".corrupt")
    os.replace(path, aside)
    return aside


def _matches(path: Path, checksum: str) -> bool:
    algorithm, expected = checksum.split(":", 1)
    return file_hash(path, algorithm) == expected.lower()


def _fetch(url: str, part: Path, timeout: float) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = getattr(response, "status", None)
        resumed = have > 0 and status == 206
        if have and not resumed:
            have = 0  # the server ignored the range: start over
        length = response.headers.get("Content-Length")
        total = have + int(length) if length else None
        with (
            open(part, "ab" if resumed else "wb") as out,
            tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=f"Downloading {Path(url).name}") as bar,
        ):
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                bar.update(len(block))
        if total is not None and part.stat().st_size < total:
            raise DownloadError(f"connection closed after {part.stat().st_size:,} of {total:,} bytes")


def extract(archive: str | Path, target: str | Path) -> Path:
    """Extract a .tar(.gz|.bz2|.xz) or .zip into ``target`` (created). Members with absolute
    paths, ``..`` components or links pointing outside are refused before anything is
    written; extraction goes to a temporary sibling folder renamed into place at the end.
    A truncated or damaged archive is moved aside (CorruptArchiveError), so a rerun
    downloads it again instead of failing on the same file forever."""
    archive, target = Path(archive), Path(target)
    staging = target.with_name(target.name + ".extracting")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _extract_into(archive, staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except (EOFError, tarfile.ReadError, zipfile.BadZipFile, zlib.error) as error:
        aside = _move_aside(archive)
        raise CorruptArchiveError(
            f"{archive} is truncated or damaged ({error or type(error).__name__}); moved to "
            f"{aside}. Rerun to download it again (or place a good copy at {archive})."
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _extract_into(archive: Path, staging: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                _check_member(name, staging, archive)
            z.extractall(staging)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            for member in t.getmembers():  # the data filter would silently strip a leading '/'
                _check_member(member.name, staging, archive)
            try:
                t.extractall(staging, filter="data")  # refuses ../, absolute paths, outside links
            except tarfile.FilterError as error:
                raise UnsafeArchiveError(f"{archive}: refused unsafe member: {error}") from None
    elif archive.suffix == ".zip" or _looks_like_tar(archive):  # named as one but unreadable: cut short
        raise zipfile.BadZipFile("its end is missing") if archive.suffix == ".zip" else tarfile.ReadError("unreadable")
    else:
        raise DownloadError(f"{archive} is neither a tar nor a zip archive")


def _check_member(name: str, root: Path, archive: Path) -> None:
    resolved = (root / name).resolve()
    if Path(name).is_absolute() or not resolved.is_relative_to(root.resolve()):
        raise UnsafeArchiveError(f"{archive}: member {name!r} would be written outside {root}; archive refused")
