"""CMSIS-DSP's C sources (Apache-2.0), fetched at build time from the ``cmsisdsp`` source
distribution on PyPI into a cache, never into the repository, and verified by sha256.

CMSIS-DSP needs CMSIS-Core's ``cmsis_compiler.h``, which is on no registry; a minimal
stand-in lives in ``embedded/frontend/shim``."""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
import urllib.request
from pathlib import Path

VERSION = "1.10.3"
SHA256 = "307d32298faa7c58db912851027fce35f886fec7eb1a27c4b309ce1a97f47519"
INDEX = "https://pypi.org/simple/cmsisdsp/"

#: the library sources the front end links (unused tables are dropped by --gc-sections)
SOURCES = (
    "TransformFunctions/arm_rfft_fast_f32.c",
    "TransformFunctions/arm_rfft_fast_init_f32.c",
    "TransformFunctions/arm_cfft_f32.c",
    "TransformFunctions/arm_cfft_init_f32.c",
    "TransformFunctions/arm_cfft_radix8_f32.c",
    "TransformFunctions/arm_bitreversal2.c",
    "CommonTables/arm_common_tables.c",
    "CommonTables/arm_const_structs.c",
    "ComplexMathFunctions/arm_cmplx_mag_squared_f32.c",
    "BasicMathFunctions/arm_mult_f32.c",
    "BasicMathFunctions/arm_dot_prod_f32.c",
    "StatisticsFunctions/arm_mean_f32.c",
    "SupportFunctions/arm_q15_to_float.c",
)


class CmsisDspMissing(RuntimeError):
    """CMSIS-DSP is not in the cache and cannot be downloaded; the message says what to do."""


def cache_dir() -> Path:
    return Path(os.environ.get("SOUNDBENCH_CACHE", Path.home() / ".cache" / "soundbench"))


def cmsis_dsp_root(download: bool = True) -> Path:
    """The extracted source distribution (``Include/``, ``PrivateInclude/``, ``Source/``),
    downloaded and verified on first use."""
    root = cache_dir() / f"cmsisdsp-{VERSION}"
    if (root / "Source").is_dir():
        return root
    archive = cache_dir() / f"cmsisdsp-{VERSION}.tar.gz"
    if not archive.is_file():
        if not download:
            raise CmsisDspMissing(_how_to_get(archive))
        _download(archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SHA256:
        archive.unlink()
        raise CmsisDspMissing(
            f"{archive} has sha256 {digest}, not cmsisdsp {VERSION}'s {SHA256}; "
            "it was removed: run again to download it anew"
        )
    with tarfile.open(archive) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.isfile() and re.match(r"^cmsisdsp-[\d.]+/(Include|PrivateInclude|Source)/", m.name)
        ]
        tar.extractall(cache_dir(), members=members, filter="data")
    return root


def source_files(root: Path) -> list[Path]:
    return [root / "Source" / s for s in SOURCES]


def include_dirs(root: Path) -> list[Path]:
    return [root / "Include", root / "PrivateInclude"]


def _download(archive: Path) -> None:
    archive.parent.mkdir(parents=True, exist_ok=True)
    try:
        page = urllib.request.urlopen(INDEX, timeout=60).read().decode()
        match = re.search(rf'href="([^"]*cmsisdsp-{re.escape(VERSION)}\.tar\.gz)[^"]*"', page)
        if not match:
            raise CmsisDspMissing(f"{INDEX} lists no cmsisdsp-{VERSION}.tar.gz. {_how_to_get(archive)}")
        partial = archive.with_suffix(".part")
        urllib.request.urlretrieve(match.group(1), partial)
        partial.replace(archive)
    except OSError as error:
        raise CmsisDspMissing(f"cannot download CMSIS-DSP from {INDEX} ({error}). {_how_to_get(archive)}") from None


def _how_to_get(archive: Path) -> str:
    return (
        f"Put cmsisdsp-{VERSION}.tar.gz (the source distribution: pip download --no-deps --no-binary :all: "
        f"cmsisdsp=={VERSION}) at {archive}, or set SOUNDBENCH_CACHE to a folder that has it"
    )
