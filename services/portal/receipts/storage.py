"""Where receipts' bytes live: ``ReceiptStorage``, with a local directory (the default) and an S3-compatible
bucket (path-style URLs, SigV4-signed with ``sigv4.py``: AWS S3, MinIO, Ceph...). Keys are ours
(``<tenant>/<receipt>.<ext>``), never a debtor's file name."""

import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import httpx

from services.portal.receipts.sigv4 import EMPTY_SHA256, authorization
from services.portal.settings import PortalSettings


class StorageError(Exception):
    """The storage could not keep or give back a file."""


class ReceiptStorage(Protocol):
    async def put(self, key: str, content: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalStorage:
    def __init__(self, directory: str | Path) -> None:
        self.root = Path(directory).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"key outside the storage: {key}")
        return path

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(path.suffix + ".part")
            temporary.write_bytes(content)
            temporary.replace(path)  # a reader never sees half a file

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as exc:
            raise StorageError(f"no such receipt: {key}") from exc


class S3Storage:
    """An S3-compatible bucket, path-style (``<endpoint>/<bucket>/<key>``), signed per request."""

    def __init__(
        self, http: httpx.AsyncClient, endpoint: str, bucket: str, region: str, access_key: str, secret_key: str
    ) -> None:
        self.http, self.endpoint, self.bucket, self.region = http, endpoint.rstrip("/"), bucket, region
        self.access_key, self.secret_key = access_key, secret_key

    def _signed(self, method: str, key: str, payload_sha256: str, extra: dict[str, str]) -> tuple[str, dict[str, str]]:
        path = "/" + quote(self.bucket, safe="") + "/" + quote(key, safe="/-_.~")
        url = self.endpoint + path
        now = datetime.now(UTC)
        headers = {
            "host": urlsplit(self.endpoint).netloc,
            "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
            "x-amz-content-sha256": payload_sha256,
            **extra,
        }
        headers["authorization"] = authorization(
            method=method,
            path=urlsplit(url).path,
            query={},
            headers=headers,
            payload_sha256=payload_sha256,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            service="s3",
            at=now,
        )
        return url, headers

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        digest = hashlib.sha256(content).hexdigest()
        url, headers = self._signed("PUT", key, digest, {"content-type": content_type})
        await self._send("PUT", url, headers, content)

    async def get(self, key: str) -> bytes:
        url, headers = self._signed("GET", key, EMPTY_SHA256, {})
        return (await self._send("GET", url, headers, None)).content

    async def _send(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> httpx.Response:
        try:
            response = await self.http.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            raise StorageError(f"the bucket could not be reached: {exc}") from exc
        if not response.is_success:
            raise StorageError(f"the bucket answered {response.status_code}: {response.text[:200]}")
        return response


def storage_for(settings: PortalSettings, http: httpx.AsyncClient) -> ReceiptStorage:
    """The S3-compatible bucket when one is configured, else the local directory."""
    if settings.storage_s3_bucket and settings.storage_s3_endpoint:
        return S3Storage(
            http,
            settings.storage_s3_endpoint,
            settings.storage_s3_bucket,
            settings.storage_s3_region,
            settings.storage_s3_access_key or "",
            settings.storage_s3_secret_key or "",
        )
    return LocalStorage(settings.storage_dir)
