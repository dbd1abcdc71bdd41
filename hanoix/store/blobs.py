"""Blob storage for evidence packages: one small interface, two real stores.

* :class:`FileBlobStore`: the node's blob folder (the default). Content-addressed by the
  SHA-256 of the bytes, written to a temporary file, fsynced, renamed into place and the
  folder fsynced: a blob is either whole or absent, and the same bytes are stored once.
* :class:`S3BlobStore`: any S3-compatible object store (boto3): SeaweedFS, MinIO, Ceph, a
  cloud's. Path-style addressing; each object is written once (``If-None-Match: *``) with its
  SHA-256 checksum, which the server checks.

Keys are ``sha256:<64 hex digits>``. Output files outside the store (packages written by the
CLI, opened evidence) are written by :mod:`hanoix.store.files`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol
from urllib.parse import parse_qs, urlsplit

from hanoix.errors import ConfigurationError, InputError, NotFoundError
from hanoix.store.files import fsync_dir

_KEY = re.compile(r"^sha256:([0-9a-f]{64})$")
_COPY_BUFFER = 1024 * 1024


class BlobStore(Protocol):
    """Where packages are kept. Every method is safe to call from several processes."""

    def put(self, stream: IO[bytes]) -> str:
        """Store the stream's bytes; return their key ``sha256:<hex>`` (idempotent)."""
        ...

    def get(self, key: str) -> BinaryIO:
        """Open the blob for reading (the caller closes it). Raises NotFoundError."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing blob is not an error."""
        ...

    def adopt(self, path: Path, key: str) -> str:
        """Store the durable file at ``path`` whose SHA-256 the caller knows as ``key``."""
        ...


def open_blob_store(url: str | None, folder: Path) -> BlobStore:
    """The store a node's settings name: the folder, or ``s3://BUCKET[/PREFIX]`` with
    ``endpoint`` and ``region`` as query parameters (credentials from the environment)."""
    if not url:
        return FileBlobStore(folder)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"endpoint", "region"})
    if parts.scheme != "s3" or not parts.netloc or unknown or parts.fragment:
        what = f"unknown parameter {unknown[0]!r}" if unknown else "not an s3:// URL"
        raise ConfigurationError(
            f"blob_url {url!r}: {what}; write s3://BUCKET[/PREFIX][?endpoint=URL&region=R]"
        )
    if "@" in parts.netloc:
        raise ConfigurationError(
            "blob_url: credentials do not belong in the URL (it is shown and logged); set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    endpoint = query.get("endpoint", [None])[-1]
    if endpoint is not None and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ConfigurationError(f"blob_url {url!r}: the endpoint must be an http(s) URL")
    prefix = parts.path.strip("/")
    return S3BlobStore(
        parts.netloc,
        endpoint_url=endpoint,
        region=query.get("region", ["us-east-1"])[-1],
        prefix=f"{prefix}/" if prefix else "",
    )


def check_key(key: str) -> str:
    """The hex digest of a valid key, or an input error naming the expected form."""
    match = _KEY.match(key)
    if match is None:
        raise InputError(f"blob key {key!r} is not of the form sha256:<64 lower-case hex digits>")
    return match.group(1)


class FileBlobStore:
    """Blobs as files under ``root/sha256/<2 hex>/<62 hex>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        digest = check_key(key)
        return self.root / "sha256" / digest[:2] / digest[2:]

    def put(self, stream: IO[bytes]) -> str:
        staging = self.root / "tmp"
        staging.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix="blob.", dir=staging)
        temp = Path(temp_name)
        try:
            hasher = hashlib.sha256()
            with os.fdopen(fd, "wb") as handle:
                while chunk := stream.read(_COPY_BUFFER):
                    hasher.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            key = "sha256:" + hasher.hexdigest()
            final = self._path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                temp.unlink()
            else:
                temp.replace(final)
                fsync_dir(final.parent)
            return key
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise

    def adopt(self, path: Path, key: str) -> str:
        """Store the file at ``path``, already durable (fsynced) and whose SHA-256 the caller
        computed as it wrote it, under ``key``: hard-linked into place, no copy (copied, and
        hashed again, when the blob folder is on another file system). ``path`` stays."""
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, final)
        except FileExistsError:
            return key
        except OSError:
            with path.open("rb") as handle:
                copied = self.put(handle)
            if copied != key:
                self.delete(copied)
                raise InputError(f"{path} does not hash to {key}") from None
            return key
        fsync_dir(final.parent)
        return key

    def get(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise NotFoundError(f"no blob {key} in {self.root}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


class S3BlobStore:
    """Blobs as objects ``<prefix>sha256/<hex>`` in one bucket of an S3-compatible store.

    The bytes are first spooled to a temporary file (hashing them) because the key is their
    digest; then written once with their SHA-256 checksum, in parts above ``part_size``.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        prefix: str = "",
        part_size: int = 64 * 1024 * 1024,
        client: Any = None,
    ) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=region,
                config=Config(
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        if part_size < 5 * 1024 * 1024:
            raise InputError("S3 parts must be at least 5 MiB")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size

    def _object(self, key: str) -> str:
        return f"{self.prefix}sha256/{check_key(key)}"

    def _error_code(self, exc: Exception) -> str:
        response = getattr(exc, "response", None) or {}
        return str(response.get("Error", {}).get("Code", ""))

    def put(self, stream: IO[bytes]) -> str:
        with tempfile.TemporaryFile() as spool:
            hasher = hashlib.sha256()
            size = 0
            while chunk := stream.read(_COPY_BUFFER):
                hasher.update(chunk)
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            return self._store(spool, size, hasher.digest())

    def _store(self, source: IO[bytes], size: int, digest: bytes) -> str:
        """Write ``size`` bytes from ``source`` (positioned at their start), whose SHA-256 is
        ``digest``, once; the server checks the checksum."""
        from botocore.exceptions import ClientError

        key = "sha256:" + digest.hex()
        name = self._object(key)
        if self.exists(key):
            return key
        try:
            if size <= self.part_size:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=name,
                    Body=source.read(),
                    ChecksumSHA256=base64.b64encode(digest).decode(),
                    IfNoneMatch="*",
                )
            else:
                self._put_parts(name, source)
        except ClientError as exc:
            # Someone stored the same bytes first: same key, same content.
            if self._error_code(exc) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return key
            raise
        return key

    def _put_parts(self, name: str, spool: IO[bytes]) -> None:
        upload = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=name, ChecksumAlgorithm="SHA256"
        )
        upload_id = upload["UploadId"]
        parts = []
        try:
            number = 1
            while body := spool.read(self.part_size):
                checksum = base64.b64encode(hashlib.sha256(body).digest()).decode()
                answer = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body,
                    ChecksumSHA256=checksum,
                )
                parts.append(
                    {"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": checksum}
                )
                number += 1
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            raise

    def get(self, key: str) -> BinaryIO:
        """A seekable local copy of the blob (verification needs to seek)."""
        from botocore.exceptions import ClientError

        name = self._object(key)
        copy = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
            body = answer["Body"]
            shutil.copyfileobj(body, copy, _COPY_BUFFER)
            body.close()
            copy.seek(0)
        except ClientError as exc:
            copy.close()
            if self._error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                raise NotFoundError(f"no blob {key} in bucket {self.bucket}") from exc
            raise
        except BaseException:
            copy.close()
            raise
        return copy

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if self._error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def adopt(self, path: Path, key: str) -> str:
        """Upload the file at ``path`` from where it lies (no spool), once it is checked to
        hash to ``key``: the server is told that digest and checks it too."""
        check_key(key)
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").digest()
            if "sha256:" + digest.hex() != key:
                raise InputError(f"{path} does not hash to {key}")
            handle.seek(0)
            return self._store(handle, os.fstat(handle.fileno()).st_size, digest)
