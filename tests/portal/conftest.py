"""The portal's tests: the payment provider's stub as its own process, shared by the checkout and payment tests."""

from collections.abc import Iterator

import pytest

from tests.portal.test_checkout import start_stub


@pytest.fixture(scope="module")
def psp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_stub(tmp_path_factory.mktemp("psp") / "stub.log")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
