import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from services.receivables.external_ids.service import fields_named_as_sent, resolved
from services.receivables.notes import repository, service
from services.receivables.notes.auth import NoteRead, NoteWrite
from services.receivables.notes.schemas import NoteCreate, NoteOut
from services.receivables.outcomes.rules import Excuse
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/notes", tags=["notes"], responses=problem_responses(401, 403, 422))


@router.post("", response_model=NoteOut, status_code=status.HTTP_201_CREATED)
async def create_note(identity: NoteWrite, data: NoteCreate, session: SessionDep) -> NoteOut:
    """Write a note on a customer (seed 004): who was spoken to, why they have not paid, what was agreed;
    `#hashtags` in the body categorise it. Its reason and hashtags feed the excuses KPI. The customer and invoices
    may be named by the ERP's ids: `customer_external_id`, `invoice_external_ids`."""
    with fields_named_as_sent(data):
        return await service.create_note(session, identity, await resolved(session, identity.tenant_id, data))


@router.get("", response_model=Page[NoteOut])
async def list_notes(
    identity: NoteRead,
    session: SessionDep,
    page: PageDep,
    customer_id: uuid.UUID | None = None,
    hashtag: Annotated[str | None, Query(max_length=60, examples=["olvido"])] = None,
    reason: Excuse | None = None,
    author_user_id: uuid.UUID | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Notes, newest first; filter by customer, hashtag, reason (why the customer has not paid), author, dates."""
    rows = await repository.list_notes(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        customer_id=customer_id,
        hashtag=hashtag,
        reason=reason.value if reason else None,
        author_user_id=author_user_id,
        date_from=date_from,
        date_to=date_to,
    )
    return make_page(rows, page.limit, key=lambda note: [note.occurred_at, note.id])


@router.get("/{note_id}", response_model=NoteOut, responses=problem_responses(404))
async def get_note(identity: NoteRead, note_id: uuid.UUID, session: SessionDep) -> NoteOut:
    note = await repository.get_note(session, identity.tenant_id, note_id)
    if note is None:
        raise NotFound("Note not found")
    return note
