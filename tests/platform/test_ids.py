import time
import uuid

from shared.ids import uuid7_texts


def test_minted_ids_are_version_7_distinct_and_carry_the_millisecond():
    before = time.time_ns() // 1_000_000
    texts = uuid7_texts(5000)
    after = time.time_ns() // 1_000_000
    ids = [uuid.UUID(t) for t in texts]
    assert [str(i) for i in ids] == texts  # canonical text, as PostgreSQL reads and writes it
    assert len(set(ids)) == 5000
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    assert all(before <= i.int >> 80 <= after for i in ids)


def test_later_batches_sort_after_earlier_ones():
    first = uuid7_texts(3)
    time.sleep(0.002)
    assert max(first) < min(uuid7_texts(3))
