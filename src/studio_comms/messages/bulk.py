"""One message to many customers: each decided like a single one, personalised from a template.

The accept path is built for 10,000 recipients in one request: the studio's customers and the
slot's decisions are read once, the messages, their history and their queue entries are written
in one round of statements each. Each message becomes its customer's OUTGOING communication
when the worker takes it up (``sending``), not here: that keeps the request short.
"""

from __future__ import annotations

from datetime import datetime

from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from studio_comms.core.errors import Invalid
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.customers.service import all_customers
from studio_comms.db.tx import Tx
from studio_comms.messages.errors import BatchNotFound, TemplateInvalid
from studio_comms.messages.repository import BatchMessages, MemberText, MessagesRepository, StatusChange
from studio_comms.messages.schemas import (
    BatchRead,
    BulkAccepted,
    BulkMessageCreate,
    MessageStatus,
    Refusal,
    SendChannel,
)
from studio_comms.messages.service import address_of
from studio_comms.outbox.service import enqueue_messages
from studio_comms.preferences import service as preferences
from studio_comms.studios.service import require_studio

CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
NO_ADDRESS = "NO_ADDRESS"

# Sandboxed: a template is partner input and must not reach Python internals.
_TEXT = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)
_HTML = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


# Between two members' renderings in one pass (see ``_Templates.render_all``).
_SEPARATOR = "\x1e"
FIELDS = ("subject", "content", "html")
PLACEHOLDERS = frozenset({"firstName", "studioName"})


class _Templates:
    """The request's templates, rendered for every member in one pass each.

    A render per member costs a Jinja context each (measured: most of a 10,000-member request);
    wrapped in a loop over the members, each template renders once. A template must parse on its
    own and name no variable but the placeholders, so it can neither leave the wrapping loop nor
    read its list; one whose output holds the separator is rendered member by member instead.
    """

    def __init__(self, body: BulkMessageCreate) -> None:
        self._single: dict[str, Template] = {}
        self._looped: dict[str, Template | None] = {}
        for field, environment, source in (
            ("subject", _TEXT, body.subject),
            ("content", _TEXT, body.content),
            ("html", _HTML, body.html),
        ):
            if source is None:
                continue
            try:
                unknown = meta.find_undeclared_variables(environment.parse(source)) - PLACEHOLDERS
                self._single[field] = environment.from_string(source)
            except TemplateError as error:
                raise TemplateInvalid(reference=field, detail=str(error)) from None
            if unknown:
                # Also what keeps the wrapping loop's own names (members, loop) out of reach.
                names = ", ".join(sorted(unknown))
                raise TemplateInvalid(reference=field, detail=f"unknown placeholder {names}")
            try:
                wrapped = "{% for firstName, studioName in members %}" + source + _SEPARATOR + "{% endfor %}"
                self._looped[field] = environment.from_string(wrapped)
            except TemplateError:
                self._looped[field] = None

    def render_all(self, field: str, members: list[tuple[str, str]]) -> list[str | None]:
        template = self._single.get(field)
        if template is None:
            return [None] * len(members)
        looped = self._looped.get(field)
        if looped is not None:
            parts = _render(field, looped, {"members": members}).split(_SEPARATOR)
            if len(parts) == len(members) + 1 and parts[-1] == "":
                return list(parts[:-1])
        return [
            _render(field, template, {"firstName": first_name, "studioName": studio_name})
            for first_name, studio_name in members
        ]


def _render(field: str, template: Template, values: dict[str, object]) -> str:
    try:
        # A shared context holds only the given values (no globals such as range or lipsum), as
        # the sandbox needs nothing more; rendered as Template.render does.
        return "".join(template.root_render_func(template.new_context(values, shared=True)))
    except TemplateError as error:
        # Undefined placeholders, sandbox refusals: the same for every member, so the request is wrong.
        raise TemplateInvalid(reference=field, detail=str(error)) from None


def accept_bulk(tx: Tx, studio_id: int, body: BulkMessageCreate, *, now: datetime) -> BulkAccepted:
    channel = body.communicationChannel
    if channel is SendChannel.EMAIL and body.subject is None:
        raise Invalid(reference="subject", message_key="FIELD_REQUIRED", field="subject")
    templates = _Templates(body)
    studio = require_studio(tx, studio_id)
    customers = all_customers(tx, studio_id)
    decide = preferences.decide_for_all(tx, studio_id, body.messageCategory, CommunicationChannel(channel))
    by_email = address_of("email", "phone", channel) == "email"
    refused: list[Refusal] = []
    accepted: list[tuple[int, str, StatusChange]] = []
    for customer_id in body.customerIds:
        customer = customers.get(customer_id)
        if customer is None:
            refused.append(Refusal(customerId=customer_id, rule=CUSTOMER_NOT_FOUND))
            continue
        decision = decide(customer_id)
        if not decision.permitted:
            refused.append(Refusal(customerId=customer_id, rule=decision.rule.value))
            continue
        if not (customer.email if by_email else customer.phone_number):
            refused.append(Refusal(customerId=customer_id, rule=NO_ADDRESS))
            continue
        change = StatusChange(
            previous_status=None,
            status=MessageStatus.QUEUED.value,
            reason=None,
            occurred_at=now,
            decision_rule=decision.rule.value,
            ledger_entry_id=decision.ledger_entry_id,
            block_reason=decision.block_reason,
        )
        accepted.append((customer_id, customer.first_name, change))
    members = [(first_name, studio.name) for _, first_name, _ in accepted]
    texts = {field: templates.render_all(field, members) for field in FIELDS}
    repository = MessagesRepository(tx, studio_id)
    batch_id = repository.add_batch(
        {
            "channel": channel.value,
            "category": body.messageCategory.value,
            "subject": body.subject,
            "content": body.content,
            "html": body.html,
            "accepted": len(accepted),
            "refused": len(refused),
        },
        now=now,
    )
    if accepted:
        shared = BatchMessages(
            batch_id=batch_id,
            channel=channel.value,
            category=body.messageCategory.value,
            status=MessageStatus.QUEUED.value,
            send_at=body.sendAt or now,
        )
        ids = repository.add_batch_messages(
            shared,
            [
                MemberText(
                    customer_id=customer_id,
                    subject=texts["subject"][index],
                    content=texts["content"][index] or "",
                    html=texts["html"][index] if channel is SendChannel.EMAIL else None,
                )
                for index, (customer_id, _, _) in enumerate(accepted)
            ],
            now=now,
        )
        repository.add_acceptances(
            list(zip(ids, [change for _, _, change in accepted], strict=True)),
            status=MessageStatus.QUEUED.value,
            occurred_at=now,
        )
        enqueue_messages(tx, studio_id=studio_id, message_ids=ids, now=now)
    return BulkAccepted(batchId=batch_id, accepted=len(accepted), refused=refused)


def get_batch(tx: Tx, studio_id: int, batch_id: int) -> BatchRead:
    repository = MessagesRepository(tx, studio_id)
    batch = repository.batch(batch_id)
    if batch is None:
        raise BatchNotFound(batchId=batch_id)
    return BatchRead(
        batchId=batch.id,
        messageCategory=MessageCategory(batch.category),
        communicationChannel=SendChannel(batch.channel),
        accepted=batch.accepted,
        refused=batch.refused,
        createdAt=batch.created_at,
        statusCounts=repository.batch_counts(batch_id),
    )
