from tests.support import create_tenant


async def test_tenant_login_and_customer_through_gateway(api):
    tenant = await create_tenant(api)
    response = await api.post("/v1/customers", json={"name": "Cliente Uno"}, headers=tenant.admin)
    assert response.status_code == 201, response.text
    customer = response.json()
    response = await api.get(f"/v1/customers/{customer['id']}", headers=tenant.admin)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Cliente Uno"
