"""A call step's script (issue 18; seed 001: "un guion establecido"): checked like a text template before dunning
saves it, and rendered for one customer with the templates' engine, context and tags, into the collector's task.

A script is read by the collector, not sent: it renders in the sandbox under the same budget as a tenant's
template, with no partials, and ``portal_link`` is always None (a link is a credential for the customer, not
something to print in a staff task; ``portal_url``, the tenant's own portal, is there)."""

from jinja2 import TemplateError

from messaging_service.templates.checks import check
from messaging_service.templates.context import TenantView, build_context
from messaging_service.templates.engine import render
from messaging_service.templates.formatting import join_words, normalize_language
from shared.contracts.common import Channel
from shared.contracts.messaging import CallTask, Communication, CommunicationKind
from shared.contracts.receivables import CreateTask

TASK_DESCRIPTION_LIMIT = 5000  # receivables' limit on a task's description
CALL_KIND = "call"  # what ``{{ kind }}`` and ``{{ channel }}`` print in a script
TITLES = {
    "es": "Llamar a {name} (paso {step} del plan de llamadas)",
    "en": "Call {name} (step {step} of the call plan)",
    "pt": "Ligar para {name} (etapa {step} do plano de ligações)",
}
INVOICES = {"es": "Facturas: {numbers}", "en": "Invoices: {numbers}", "pt": "Faturas: {numbers}"}
FAILED = {
    "es": "El guion no se pudo preparar ({problem}); este es el guion tal como está escrito:",
    "en": "The script could not be prepared ({problem}); here it is as written:",
    "pt": "O roteiro não pôde ser preparado ({problem}); aqui está como foi escrito:",
}


def check_script(source: str) -> list[str]:
    """What is wrong with a script: the checks of a text template (syntax, unknown tags and attributes, filters);
    it may include no partial."""
    return check(source)


def _communication(call: CallTask) -> Communication:
    """The call's position as the communication ``build_context`` reads (kind and channel are set apart)."""
    return Communication(
        idempotency_key=call.idempotency_key,
        kind=CommunicationKind.OVERDUE,
        channel=Channel.EMAIL,
        to="",
        language=call.language,
        tone=call.tone,
        customer=call.customer,
        recipient_name=call.recipient_name,
        invoices=call.invoices,
        totals=call.totals,
        open_totals=call.open_totals,
        credits=call.credits,
        overdue_count=call.overdue_count,
        oldest_days_overdue=call.oldest_days_overdue,
        collector=call.collector,
        advisor=call.advisor,
        supervisor=call.supervisor,
        data=call.data,
        source="dunning",
    )


def render_script(call: CallTask, tenant: TenantView) -> str:
    """The script rendered for the call's customer on the call's day (``{{ today }}``, days to due dates), not the
    day messaging happens to take the command (``TemplateError`` when it fails: a limit, an undefined value)."""
    customer_language = call.customer.language if call.customer else None
    language = normalize_language(call.language or customer_language, tenant.language)
    context = build_context(_communication(call), tenant, language=language, today=call.due_date)
    context.update(kind=CALL_KIND, channel=CALL_KIND)
    return render(call.script, context).strip()


def call_task(call: CallTask, tenant: TenantView) -> CreateTask:
    """The collector's task: the rendered script and the invoices that reached the step; a script that fails to
    render still gives the task, with the problem and the raw script."""
    language = normalize_language(tenant.language)
    try:
        body = render_script(call, tenant)
    except (TemplateError, ValueError, TypeError, ArithmeticError) as exc:
        problem = str(exc)[:300] or type(exc).__name__
        body = FAILED[language].format(problem=problem) + "\n\n" + call.script
    numbers = [line.number for line in call.invoices if line.triggered]
    if numbers:
        body += "\n\n" + INVOICES[language].format(numbers=join_words(numbers, language))
    name = call.customer.name if call.customer else (call.recipient_name or "")
    return CreateTask(
        idempotency_key=call.idempotency_key,
        customer_id=call.customer_id,
        title=TITLES[language].format(name=name, step=call.step_key)[:200],
        description=body[:TASK_DESCRIPTION_LIMIT],
        assignee_id=call.assignee_id,
        due_date=call.due_date,
        source="dunning",
    )
