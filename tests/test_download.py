"""Dataset download against a loopback HTTP server: normal, interrupted-then-resumed,
wrong checksum, unreachable; archive extraction refusing path traversal; verify."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from soundbench.data.datasets import Demo, UrbanSound8K
from soundbench.data.download import ChecksumError, DownloadError, UnsafeArchiveError, download, extract
from soundbench.data.index import DatasetError
from soundbench.data.verify import checksum_table, verify_dataset

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
SHA = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    truncate_next = False
    ranges_seen: list[str] = []

    def do_GET(self):  # noqa: N802
        start = 0
        if "Range" in self.headers:
            Handler.ranges_seen.append(self.headers["Range"])
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            self.send_response(206)
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if Handler.truncate_next:  # the connection drops halfway
            Handler.truncate_next = False
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.ranges_seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/archive.tar.gz"
    httpd.shutdown()


def test_download_verifies_and_renames_atomically(server, tmp_path):
    dest = download(server, tmp_path / "a.bin", SHA)
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "a.bin.part").exists()
    assert download("http://127.0.0.1:9/unused", dest, SHA) == dest  # verified copy: no network needed


def test_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    Handler.truncate_next = True
    with pytest.raises(DownloadError, match="Rerun to resume from 524,288 bytes"):
        download(server, tmp_path / "a.bin", SHA)
    assert (tmp_path / "a.bin.part").stat().st_size == len(PAYLOAD) // 2 and not (tmp_path / "a.bin").exists()
    dest = download(server, tmp_path / "a.bin", SHA)
    assert Handler.ranges_seen == [f"bytes={len(PAYLOAD) // 2}-"]
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_keeps_the_file_aside(server, tmp_path):
    wrong = "sha256:" + "0" * 64
    with pytest.raises(ChecksumError, match=f"expected {'0' * 64}, got {SHA[7:]}"):
        download(server, tmp_path / "a.bin", wrong)
    assert (tmp_path / "a.bin.corrupt").read_bytes() == PAYLOAD and not (tmp_path / "a.bin").exists()


def test_unreachable_url_says_how_to_place_the_file(tmp_path):
    with pytest.raises(
        DownloadError, match=r"could not download http://127.0.0.1:9/x.tar.gz.*[Pp]lace the file by hand at"
    ):
        download("http://127.0.0.1:9/x.tar.gz", tmp_path / "x.tar.gz", SHA, timeout=5)


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_extract_tar_and_zip(tmp_path):
    root = extract(_tar(tmp_path / "ok.tar.gz", {"DS/meta.csv": b"a,b\n", "DS/audio/1.wav": b"RIFF"}), tmp_path / "out")
    assert (root / "DS" / "meta.csv").read_bytes() == b"a,b\n"
    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as z:
        z.writestr("DS/meta.csv", "x")
    assert (extract(tmp_path / "ok.zip", tmp_path / "zout") / "DS" / "meta.csv").read_text() == "x"


@pytest.mark.parametrize("member", ["../evil.txt", "/tmp/evil.txt", "DS/../../evil.txt"])
def test_archives_escaping_the_target_are_refused(tmp_path, member):
    with pytest.raises(UnsafeArchiveError):
        extract(_tar(tmp_path / "bad.tar.gz", {"DS/ok.txt": b"ok", member: b"evil"}), tmp_path / "out")
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        z.writestr("DS/ok.txt", "ok")
        z.writestr(member, "evil")
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract(tmp_path / "bad.zip", tmp_path / "zout")
    assert not (tmp_path / "out").exists() and not (tmp_path / "zout").exists()
    assert not (tmp_path.parent / "evil.txt").exists()


def test_verify_lists_missing_files(tmp_path, demo_root):
    copy = shutil.copytree(demo_root, tmp_path / "demo")
    (copy / "audio" / sorted(p.name for p in (copy / "audio").iterdir())[3]).unlink()
    with pytest.raises(DatasetError, match="1 of 320 listed files missing"):
        verify_dataset(Demo(copy))
    assert verify_dataset(Demo(demo_root))["ok"]


def test_verify_checks_urbansound8k_against_the_shipped_sha256_table(tmp_path, urbansound8k):
    table = pd.read_csv(urbansound8k / "metadata" / "UrbanSound8K.csv")
    present = [p for p in sorted((urbansound8k / "audio").glob("fold*/*.wav"))][:2]
    rows = table[table["slice_file_name"].isin([p.name for p in present])]
    root = tmp_path / "UrbanSound8K"
    (root / "metadata").mkdir(parents=True)
    rows.to_csv(root / "metadata" / "UrbanSound8K.csv", index=False)
    for p in present:
        (root / "audio" / p.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(p, root / "audio" / p.parent.name / p.name)
    assert len(checksum_table("urbansound8k")) == 8732
    assert verify_dataset(UrbanSound8K(root, allow_partial=True))["ok"]  # 2 rows: classes miss folds
    damaged = root / "audio" / present[0].parent.name / present[0].name
    data = damaged.read_bytes()
    damaged.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # one flipped byte
    with pytest.raises(DatasetError, match=f"checksum mismatch: .*{present[0].name} \\(expected"):
        verify_dataset(UrbanSound8K(root, allow_partial=True))


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("DS/meta.csv", "a,b\n" * 1000)
    return buffer.getvalue()


def test_truncated_archives_are_download_errors_and_moved_aside(tmp_path):
    whole = _tar(tmp_path / "ok.tar.gz", {"DS/meta.csv": bytes(range(256)) * 400}).read_bytes()
    for name, data in (("cut.tar.gz", whole[: len(whole) // 2]), ("cut.zip", _zip_bytes()[:-30])):
        archive = tmp_path / name
        archive.write_bytes(data)
        with pytest.raises(DownloadError, match=f"{name} is truncated or damaged .*Rerun to download it again"):
            extract(archive, tmp_path / "out")
        assert not archive.exists() and (tmp_path / f"{name}.corrupt").read_bytes() == data
        assert not (tmp_path / "out").exists()


def test_unverifiable_archive_cut_short_is_not_kept_or_reused(tmp_path):
    """GitHub's ESC-50 zip has no checksum and no Content-Length: an early end is only
    visible in the archive itself."""
    good = _zip_bytes()
    served = {"body": good[: len(good) // 2]}

    class NoLength(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), NoLength)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/master.zip"
    try:
        with pytest.raises(DownloadError, match="the transfer ended early"):
            download(url, tmp_path / "esc50.zip")
        assert not (tmp_path / "esc50.zip").exists()
        (tmp_path / "esc50.zip.part").unlink()
        (tmp_path / "esc50.zip").write_bytes(good[:-40])  # a truncated copy left by an older version
        served["body"] = good
        assert download(url, tmp_path / "esc50.zip").read_bytes() == good  # fetched again, not reused
        assert (tmp_path / "esc50.zip.corrupt").read_bytes() == good[:-40]
    finally:
        httpd.shutdown()
