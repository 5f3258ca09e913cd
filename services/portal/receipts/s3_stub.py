"""A local S3-compatible peer for tests and runs: path-style ``PUT``/``GET /<bucket>/<key>``, objects kept in
memory, each request's SigV4 signature checked against the one credential it knows (a wrong key, secret or body
hash answers 403, as S3 does). Run: ``python -m services.portal.receipts.s3_stub --port 9010``."""

import argparse
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.portal.receipts.sigv4 import authorization

CREDENTIAL = re.compile(r"Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, SignedHeaders=([a-z0-9;-]+), ")


@dataclass
class S3Stub:
    access_key: str = "stub-access-key"
    secret_key: str = "stub-secret-key"  # noqa: S105 - a local stub's
    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    refused: int = 0

    def _signed(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        sent = headers.get("authorization", "")
        found = CREDENTIAL.match(sent.removeprefix("AWS4-HMAC-SHA256 "))
        payload = headers.get("x-amz-content-sha256", "")
        if found is None or found.group(1) != self.access_key:
            return False
        if method == "PUT" and payload != hashlib.sha256(body).hexdigest():
            return False
        signed = {name: headers.get(name, "") for name in found.group(4).split(";")}
        at = datetime.strptime(headers.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ")
        expected = authorization(
            method=method,
            path=path,
            query={},
            headers=signed,
            payload_sha256=payload,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=found.group(3),
            service="s3",
            at=at,
        )
        return expected == sent

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope.get("raw_path", scope["path"].encode()).decode()
        status, answer, kind = 200, b"", "application/xml"
        if not self._signed(scope["method"], path, headers, body):
            self.refused += 1
            status, answer = 403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
        elif scope["method"] == "PUT":
            self.objects[path] = (body, headers.get("content-type", "application/octet-stream"))
        elif path in self.objects:
            answer, kind = self.objects[path]
        else:
            status, answer = 404, b"<Error><Code>NoSuchKey</Code></Error>"
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind.encode())]})
        await send({"type": "http.response.body", "body": answer})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9010)
    args = parser.parse_args()
    uvicorn.run(S3Stub(), host=args.host, port=args.port, lifespan="off")


if __name__ == "__main__":
    main()
