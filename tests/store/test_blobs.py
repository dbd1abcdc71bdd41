"""Blob stores: the local folder and a real S3 server (SeaweedFS on loopback), not a mock."""

from __future__ import annotations

import hashlib
import io
import random
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from hanoix.errors import ConfigurationError, ConflictError, InputError, NotFoundError
from hanoix.store.blobs import BlobStore, FileBlobStore, S3BlobStore, open_blob_store
from hanoix.store.files import atomic_file

DATA = random.Random(1).randbytes(300_000)
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


class _Failing(io.RawIOBase):
    """A stream that breaks half-way, like a dropped upload."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.sent:
            raise OSError(5, "Input/output error")
        self.sent = True
        buffer[:10] = b"0123456789"
        return 10


def _exercise(store: BlobStore) -> None:
    assert not store.exists(DIGEST)
    assert store.put(io.BytesIO(DATA)) == DIGEST
    assert store.exists(DIGEST)
    assert store.put(io.BytesIO(DATA)) == DIGEST  # idempotent: same bytes, same key
    with store.get(DIGEST) as handle:
        assert handle.read() == DATA
    store.delete(DIGEST)
    assert not store.exists(DIGEST)
    store.delete(DIGEST)  # deleting twice is fine
    with pytest.raises(NotFoundError):
        store.get(DIGEST)
    with pytest.raises(InputError, match="sha256:<64"):
        store.exists("md5:abc")
    with pytest.raises(OSError, match="Input/output"):
        store.put(io.BufferedReader(_Failing()))


# --- the local folder -------------------------------------------------------------------------


def test_file_store_round_trip(tmp_path: Path) -> None:
    _exercise(FileBlobStore(tmp_path / "blobs"))


def test_file_store_is_content_addressed_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    key = store.put(io.BytesIO(b"package bytes"))
    digest = key.removeprefix("sha256:")
    assert (tmp_path / "blobs" / "sha256" / digest[:2] / digest[2:]).read_bytes() == (
        b"package bytes"
    )
    with pytest.raises(OSError):
        store.put(io.BufferedReader(_Failing()))
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_atomic_file_leaves_nothing_behind_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.hxp"
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    with atomic_file(target) as handle:
        handle.write(b"whole")
    assert target.read_bytes() == b"whole"
    with pytest.raises(ConflictError, match="exists already"), atomic_file(target):
        pass
    assert target.read_bytes() == b"whole"


# --- S3: SeaweedFS, started by the fixture in tests/seaweedfs.py -------------------------


def _s3(server: dict[str, str], **options: int) -> S3BlobStore:
    return S3BlobStore(
        "evidence",
        endpoint_url=server["endpoint"],
        access_key=server["access"],
        secret_key=server["secret"],
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.slow
def test_s3_store_round_trip(seaweedfs: dict[str, str]) -> None:
    _exercise(_s3(seaweedfs))


@pytest.mark.slow
def test_s3_store_uploads_large_blobs_in_parts(seaweedfs: dict[str, str]) -> None:
    store = _s3(seaweedfs, part_size=5 * 1024 * 1024)
    big = random.Random(2).randbytes(11 * 1024 * 1024 + 3)
    key = store.put(io.BytesIO(big))
    with store.get(key) as handle:
        assert handle.read() == big
    assert store.put(io.BytesIO(big)) == key
    store.delete(key)


@pytest.mark.slow
def test_s3_store_refuses_a_wrong_secret(seaweedfs: dict[str, str]) -> None:
    store = _s3({**seaweedfs, "secret": "wrong"})
    with pytest.raises(ClientError, match=r"403|Forbidden|SignatureDoesNotMatch|AccessDenied"):
        store.put(io.BytesIO(b"x"))


@pytest.mark.slow
def test_s3_objects_are_written_once(seaweedfs: dict[str, str]) -> None:
    store = _s3(seaweedfs)
    key = store.put(io.BytesIO(b"first"))
    name = f"sha256/{key.removeprefix('sha256:')}"
    with pytest.raises(ClientError, match=r"PreconditionFailed|412"):
        store.client.put_object(Bucket="evidence", Key=name, Body=b"other", IfNoneMatch="*")
    with store.get(key) as handle:
        assert handle.read() == b"first"


def test_the_blob_url_names_the_store(tmp_path: Path) -> None:
    assert isinstance(open_blob_store(None, tmp_path), FileBlobStore)
    store = open_blob_store(
        "s3://evidence/nodes/aut/?endpoint=http://127.0.0.1:8333&region=eu-west-1", tmp_path
    )
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("evidence", "nodes/aut/")
    assert store.client.meta.region_name == "eu-west-1"
    assert store.client.meta.endpoint_url == "http://127.0.0.1:8333"
    for url, problem in (
        ("https://evidence.example", "not an s3:// URL"),
        ("s3:///nodes", "not an s3:// URL"),
        ("s3://evidence?endpont=http://127.0.0.1:8333", "unknown parameter 'endpont'"),
        ("s3://evidence?endpoint=ftp://127.0.0.1", "the endpoint must be an http"),
        ("s3://AKIA:secret@evidence", "credentials do not belong in the URL"),
    ):
        with pytest.raises(ConfigurationError, match=re.escape(problem)):
            open_blob_store(url, tmp_path)


@pytest.mark.slow
def test_s3_store_adopts_a_file_only_under_its_own_digest(
    seaweedfs: dict[str, str], tmp_path: Path
) -> None:
    store = _s3(seaweedfs, part_size=5 * 1024 * 1024)
    staged = tmp_path / "staged.part"
    data = random.Random(7).randbytes(6 * 1024 * 1024)  # two parts
    staged.write_bytes(data)
    key = "sha256:" + hashlib.sha256(data).hexdigest()
    wrong = "sha256:" + "0" * 64
    with pytest.raises(InputError, match="does not hash to"):
        store.adopt(staged, wrong)
    assert not store.exists(wrong) and not store.exists(key)
    assert store.adopt(staged, key) == key
    with store.get(key) as stored:
        assert stored.read() == data
    assert staged.read_bytes() == data  # the staged file stays, as with the folder
    assert store.adopt(staged, key) == key  # once stored, again is harmless
