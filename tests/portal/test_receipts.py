"""Receipts' storage (issue 17: "local directory by default, S3-compatible when configured"): SigV4 as AWS
publishes it, a bucket on loopback (services/portal/receipts/s3_stub.py) that checks every signature, and a
debtor's receipt kept there and served back to the tenant's people."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import pytest

from services.portal.receipts.s3_stub import S3Stub
from services.portal.receipts.sigv4 import EMPTY_SHA256, authorization
from services.portal.receipts.storage import LocalStorage, S3Storage, StorageError
from tests.portal.support import debtor, own_cookies, portal_settings
from tests.portal.test_actions import PDF
from tests.support import free_port, serve_on_loopback

pytestmark = pytest.mark.usefixtures(own_cookies.__name__)


def test_sigv4_matches_aws_published_get_object_example():
    """docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object"."""
    headers = {
        "Host": "examplebucket.s3.amazonaws.com",
        "Range": "bytes=0-9",
        "x-amz-content-sha256": EMPTY_SHA256,
        "x-amz-date": "20130524T000000Z",
    }
    signed = authorization(
        method="GET",
        path="/test.txt",
        query={},
        headers=headers,
        payload_sha256=EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS's published example key
        region="us-east-1",
        service="s3",
        at=datetime(2013, 5, 24),
    )
    assert signed == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


@asynccontextmanager
async def bucket() -> AsyncIterator[tuple[S3Stub, str]]:
    stub = S3Stub()
    async with serve_on_loopback(stub, free_port()) as endpoint:
        yield stub, endpoint


async def test_an_s3_compatible_bucket_keeps_and_gives_back_a_receipt_and_refuses_a_wrong_secret():
    async with bucket() as (stub, endpoint), httpx.AsyncClient() as http:
        storage = S3Storage(http, endpoint, "receipts", "us-east-1", stub.access_key, stub.secret_key)
        await storage.put("t/r.pdf", PDF, "application/pdf")
        assert await storage.get("t/r.pdf") == PDF
        assert stub.objects["/receipts/t/r.pdf"] == (PDF, "application/pdf")
        forged = S3Storage(http, endpoint, "receipts", "us-east-1", stub.access_key, "not-the-secret")
        with pytest.raises(StorageError):
            await forged.put("t/x.pdf", PDF, "application/pdf")
        assert stub.refused == 1 and "/receipts/t/x.pdf" not in stub.objects


async def test_the_local_directory_keeps_keys_inside_it(tmp_path):
    storage = LocalStorage(tmp_path)
    await storage.put("tenant/receipt.png", b"\x89PNG\r\n\x1a\n", "image/png")
    assert await storage.get("tenant/receipt.png") == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(StorageError):
        await storage.put("../outside.pdf", PDF, "application/pdf")
    with pytest.raises(StorageError):
        await storage.get("tenant/missing.pdf")


async def test_a_debtors_receipt_goes_to_the_configured_bucket(api, stack):
    async with bucket() as (stub, endpoint):
        s3 = {"storage_s3_endpoint": endpoint, "storage_s3_bucket": "receipts"}
        s3 |= {"storage_s3_access_key": stub.access_key, "storage_s3_secret_key": stub.secret_key}
        with portal_settings(stack, **s3):
            d = await debtor(api, stack)
            data = {"paid_on": d.rc.today.isoformat(), "amount": "85000", "bank": "Banco Galicia"}
            page = await d.submit("report", data, files={"receipt": ("c.pdf", PDF, "application/pdf")})
            assert page.status_code == 200, page.text
            (action,) = await d.audit()
            receipt_id = action["result"]["receipt_id"]
            assert [path for path in stub.objects] == [f"/receipts/{d.rc.tenant_id}/{receipt_id}.pdf"]
            served = await api.get(f"/v1/portal-receipts/{receipt_id}", headers=d.rc.admin)
            assert served.status_code == 200 and served.content == PDF
