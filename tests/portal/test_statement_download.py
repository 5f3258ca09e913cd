"""The PDF statement from the customer's page: receivables prints it in the link's language, else the customer's
(its own default); the browser's languages do not choose it, and the download is audited."""

import pytest

from tests.portal.support import debtor, own_cookies
from tests.receivables.helpers import post
from tests.receivables.test_statement_pdf import messaging_in_process, pdf_text

pytestmark = pytest.mark.usefixtures(own_cookies.__name__)


async def test_the_pdf_comes_in_the_links_language_else_the_customers(api, stack):
    d = await debtor(api, stack, "85000.00", language="pt")
    english = await post(api, "/v1/portal-links", d.rc.admin, {"customer_id": d.customer["id"], "language": "en"})
    english_path = "/portal/" + english["url"].rsplit("/portal/", 1)[1]

    async with messaging_in_process(stack):
        customers = await api.get(f"{d.base}/statement.pdf", headers={"Accept-Language": "es-AR"})
        links = await api.get(f"{english_path}/statement.pdf", headers={"Accept-Language": "es-AR"})

    for answer in (customers, links):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        assert "A-0001-00000450" in pdf_text(answer.content)
    assert "Extrato de conta" in pdf_text(customers.content)
    assert "Account statement" in pdf_text(links.content)
    assert [a["kind"] for a in await d.audit()] == ["statement_downloaded", "statement_downloaded"]
