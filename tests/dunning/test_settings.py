"""Per-tenant dunning settings: validation naming the field, holidays of a province, company holidays."""

from tests.dunning.support import Portfolio, dunning_tenant
from tests.support import create_user


async def test_settings_validation_names_the_field(api, stack):
    tenant = await dunning_tenant(api, stack)
    bad = await api.patch(
        "/v1/dunning-settings",
        json={"tolerances": {"XYZ": "1", "USD": "0.001", "ARS": "-1"}, "holiday_subdivision": "ZZ", "run_hour": 9},
        headers=tenant.admin,
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "tolerances.XYZ",
        "tolerances.USD",
        "tolerances.ARS",
        "holiday_subdivision",
    ]
    hour = await api.patch("/v1/dunning-settings", json={"run_hour": 24}, headers=tenant.admin)
    assert hour.status_code == 422
    assert hour.json()["errors"][0]["field"] == "run_hour"
    _, collector = await create_user(api, tenant, "collector")
    assert (await api.patch("/v1/dunning-settings", json={"run_hour": 9}, headers=collector)).status_code == 403
    good = await api.patch(
        "/v1/dunning-settings",
        json={"tolerances": {"usd": "5.00"}, "holiday_subdivision": "b", "extra_holidays": ["2025-06-03"]},
        headers=tenant.admin,
    )
    assert good.status_code == 200, good.text
    body = good.json()
    assert body["tolerances"] == {"USD": "5.00"}
    assert body["holiday_subdivision"] == "B"
    assert body["run_hour"] == 8


async def test_company_holidays_close_the_day(api, stack):
    tenant = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"extra_holidays": ["2025-06-03"]}, headers=tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    explained = await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": "2025-06-03"}, headers=tenant.admin)
    assert explained.json()["closed_reason"] == "a company holiday"
    assert explained.json()["next_business_day"] == "2025-06-04"
