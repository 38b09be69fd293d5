"""What identifies an audio file's content cheaply: its size, its modification time and a
hash of its first and last 64 KiB.

Size and mtime alone miss a file replaced in place with the same size and its mtime
restored (``cp -p``, ``rsync -a``, ``touch -r``, an archive re-extracted over it). Most
edits of real audio change the header or the tail (re-encoding, trimming, a different
take of the same length), so hashing both ends catches them at a fixed cost per file,
whatever its length; only a same-size edit confined to the middle with the mtime restored
still goes unnoticed. Used by the dataset fingerprint (which keys the decoded-audio cache
and CV resume) and the pre-rendered augmentation store.
"""

from __future__ import annotations

import hashlib
import os

#: bytes hashed at each end of a file
END_BYTES = 64 * 1024


def file_signature(path: str | os.PathLike) -> str:
    """``size|mtime_ns|hash of both ends``; ``missing`` for a file that cannot be read (it
    fails later, with its name, where it is decoded)."""
    try:
        with open(path, "rb") as f:
            stat = os.fstat(f.fileno())
            digest = hashlib.blake2b(f.read(END_BYTES), digest_size=8)
            if stat.st_size > END_BYTES:
                f.seek(max(END_BYTES, stat.st_size - END_BYTES))
                digest.update(f.read(END_BYTES))
    except OSError:
        return "missing"
    return f"{stat.st_size}|{stat.st_mtime_ns}|{digest.hexdigest()}"
