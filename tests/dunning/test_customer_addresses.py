"""Each customer's first valid address per channel, unless opted out (``projection.rules.first_addresses``), kept in
the projection for the run's plan: the rule on hand-made contacts, and migration 0047 filling the rows it finds with
the same answer in SQL. (The projection's writes are held to the rule by ``test_selection_agrees``, whose plan reads
the kept addresses.)"""

import json
import random
import uuid

from dunning_service.projection.rules import Contact, CustomerView, first_addresses
from shared.contracts.common import Channel
from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.support import scratch_database

SCRATCH = f"{TEST_DATABASE}_addresses"


def test_the_first_valid_address_of_each_channel_not_opted_out():
    contacts = [
        Contact(Channel.EMAIL, "old@acme.test", invalid=True),
        Contact(Channel.SMS, "+5491100000001"),
        Contact(Channel.EMAIL, "ana@acme.test"),
        Contact(Channel.EMAIL, "pagos@acme.test"),
        Contact(Channel.WHATSAPP, "+5491100000002"),
    ]
    assert first_addresses(contacts, []) == {
        "email": "ana@acme.test",
        "sms": "+5491100000001",
        "whatsapp": "+5491100000002",
    }
    assert first_addresses(contacts, ["whatsapp", "sms"]) == {"email": "ana@acme.test"}
    assert first_addresses([Contact(Channel.EMAIL, "x@acme.test", invalid=True)], []) == {}
    view = CustomerView(id=uuid.uuid4(), name="Acme", contacts=tuple(contacts), opted_out=frozenset({Channel.SMS}))
    assert view.address(Channel.EMAIL) == "ana@acme.test"
    assert view.address(Channel.SMS) is None


def _random_contacts(rng: random.Random) -> tuple[list[Contact], list[str]]:
    contacts = [
        Contact(rng.choice(list(Channel)), f"a{n}@acme.test", invalid=rng.random() < 0.3)
        for n in range(rng.randint(0, 5))
    ]
    return contacts, rng.sample([c.value for c in Channel], rng.choice([0, 0, 1, 2]))


async def test_migration_0047_fills_the_addresses_of_the_customers_it_finds_as_the_rule_does():
    rng = random.Random(47)
    tenant = uuid.uuid4()
    customers = {uuid.uuid4(): _random_contacts(rng) for _ in range(60)}
    async with scratch_database(TEST_SERVER, SCRATCH, "0046") as db:
        conn = db.conn
        await conn.executemany(
            "INSERT INTO dunning.customers (tenant_id, id, revision, name, contacts, opted_out_channels) "
            "VALUES ($1, $2, 1, 'Cliente', $3::jsonb, $4)",
            [
                (
                    tenant,
                    customer_id,
                    json.dumps([{"channel": c.channel.value, "address": c.address, "invalid": c.invalid} for c in cs]),
                    opted_out,
                )
                for customer_id, (cs, opted_out) in customers.items()
            ],
        )
        await db.migrate("0047")
        rows = await conn.fetch("SELECT id, CAST(addresses AS text) AS addresses FROM dunning.customers")
        kept = {row["id"]: json.loads(row["addresses"]) for row in rows}
        assert kept == {customer_id: first_addresses(cs, out) for customer_id, (cs, out) in customers.items()}
        assert any(len(addresses) > 1 for addresses in kept.values()) and {} in kept.values()
