"""The plain path of bulk invoice rows agrees with the model: whatever it accepts, ``InvoiceRow`` accepts with the
same values; whatever it doubts goes to the model, which accepts it or names the field."""

from hypothesis import given, settings
from hypothesis import strategies as st

from services.receivables.ingest.invoice_rows import (
    copy_text,
    invoice_lines,
    model_invoice_line,
    plain_invoice_line,
)
from services.receivables.ingest.schemas import InvoiceRow
from services.receivables.ingest.validation import validate_rows

PLAIN = {
    "external_id": "F-1",
    "customer_external_id": "C-1",
    "number": "A-1",
    "currency": "ARS",
    "amount": "100.50",
    "issue_date": "2026-01-01",
    "due_date": "2026-02-01",
}
texts = st.one_of(st.text(max_size=3), st.text(min_size=58, max_size=62), st.text(min_size=99, max_size=101))
amounts = st.one_of(
    st.sampled_from(["0", "1", "1.5", "1.50", "1.500", "1.505", "-1", "01", "1e3", "1.", ".5", "", " 1", "1,5"]),
    st.decimals(min_value=0, max_value=10**16, places=3, allow_nan=False).map(str),
    st.integers(min_value=-5, max_value=10**16),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "2026-1-01", "20260101", "2026-01-01T00:00:00"]),
    st.integers(min_value=0, max_value=2_000_000_000),
    st.none(),
)
FIELDS = {
    "external_id": texts,
    "customer_external_id": texts,
    "number": texts,
    "currency": st.sampled_from(["ARS", "USD", "CLP", "KWD", "usd", "ZZZ", "US", "", 5, None]),
    "kind": st.sampled_from(["invoice", "credit_note", "installment", "promissory_note", "INVOICE", "x", None, 1]),
    "amount": amounts,
    "open_amount": amounts,
    "issue_date": dates,
    "due_date": dates,
    "document_url": st.one_of(st.none(), st.text(max_size=5), st.text(min_size=499, max_size=501), st.just(3)),
    "status": st.sampled_from(["open", "void", "written_off", "paid", "", None, ["void"]]),
    "version": st.one_of(st.none(), st.integers(min_value=-3, max_value=2**64), st.booleans(), st.just("7")),
}


@st.composite
def rows(draw):
    """Mostly plain rows with a few fields replaced or dropped (a drawn field set to a drawn value)."""
    row = dict(PLAIN)
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=4, unique=True)):
        if draw(st.booleans()) and name in row:
            del row[name]
        else:
            row[name] = draw(FIELDS[name])
    return row


@settings(max_examples=3000, deadline=None)
@given(rows())
def test_what_the_plain_path_accepts_the_model_accepts_with_the_same_values(item):
    plain = plain_invoice_line(0, item)
    valid, rejected = validate_rows([item], InvoiceRow)
    if plain is not None:
        assert rejected == [], (item, rejected)
        assert plain == model_invoice_line(0, valid[0][1])


@settings(max_examples=300, deadline=None)
@given(st.lists(rows(), max_size=12))
def test_every_row_is_either_a_line_or_a_rejection_naming_its_field(items):
    lines, rejected = invoice_lines(items)
    model_valid, model_rejected = validate_rows(items, InvoiceRow)
    assert [line.index for line in lines] == [index for index, _ in model_valid]
    assert [(r.index, r.field, r.reason) for r in rejected] == [(r.index, r.field, r.reason) for r in model_rejected]
    assert [line.text for line in lines] == [model_invoice_line(i, row) for i, row in model_valid]
    assert [line.customer_external_id for line in lines] == [row.customer_external_id for _, row in model_valid]


def test_the_plain_path_takes_the_usual_rows():
    """The common case must not fall back to the model, or the bulk load pays for it (bench/ingest.py)."""
    assert plain_invoice_line(0, PLAIN) is not None
    assert plain_invoice_line(0, {**PLAIN, "amount": 100, "open_amount": "0", "version": 3}) is not None
    assert plain_invoice_line(0, {**PLAIN, "currency": "CLP", "amount": "1500"}) is not None
    assert plain_invoice_line(0, {**PLAIN, "document_url": "https://erp.example/f.pdf", "status": "void"})


def test_text_is_escaped_for_copy():
    assert copy_text("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    line = plain_invoice_line(4, {**PLAIN, "number": "A\t1", "external_id": "F\\1"})
    assert line.split("\t")[:4] == ["4", "F\\\\1", "C-1", "A\\t1"]
