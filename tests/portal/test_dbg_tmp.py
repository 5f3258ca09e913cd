import asyncio

from tests.portal.test_browser import (
    debtor,
    ok,
    INVOICES,
    invoice_status,
    see_position,
    pay_online,
    see_payment_result,
    SETTLE_ROUNDS,
    system,
    gateway_url,
    mailbox,
)
from tests.portal.browser_support import phone, in_browser


async def test_dbg(api, system):
    tenant, customer, invoices = await debtor(api, system)
    link = (
        await ok(await api.post("/v1/portal-links", json={"customer_id": customer["id"]}, headers=tenant.admin), 201)
    )["url"]
    async with phone() as browser:
        page = await in_browser(see_position, browser, link)
        number = INVOICES["pay"][0]
        return_url, state = await in_browser(pay_online, browser, link, number)
        print(return_url, state)
        for i in range(SETTLE_ROUNDS):
            if await invoice_status(api, tenant, invoices["pay"]) == "paid":
                break
            print("round", i)
            await system.settle(1)
            await asyncio.sleep(0.2)
        assert await invoice_status(api, tenant, invoices["pay"]) == "paid"
        assert await in_browser(see_payment_result, browser, return_url) == "paid"
