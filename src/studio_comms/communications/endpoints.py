"""The compatible thread operations and the timeline extensions (``/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, api_reader, api_writer
from studio_comms.api.hot import hot
from studio_comms.communications import service, timeline
from studio_comms.communications.schemas import (
    CommunicationThreadRead,
    CommunicationThreadRequest,
    CommunicationThreadResponse,
    CommunicationThreadStatus,
    CommunicationThreadSummary,
)
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import COMPATIBLE_ERRORS, CustomerId, ThreadId, error_responses
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import DEFAULT_SLICE_SIZE, MAX_SLICE_SIZE, OFFSET_PATTERN
from studio_comms.core.units import Runs, runs
from studio_comms.db.tx import Tx
from studio_comms.studios.schemas import ConsentEnforcement

router = APIRouter(prefix="/v1/communications", tags=["Customers Communication"])

Writer = Annotated[ApiContext, Depends(api_writer(Scope.COMMUNICATION_WRITE))]
Reader = Annotated[ApiContext, Depends(api_reader(Scope.COMMUNICATION_READ))]
# Extension header: a request may ask to be refused rather than recorded; it cannot loosen a
# studio's REJECT (the studio's policy wins over a partner's convenience).
Enforcement = Annotated[
    ConsentEnforcement | None,
    Header(
        alias="Consent-Enforcement",
        description="Extension. `REJECT`: refuse (409, nothing stored) an OUTGOING communication the "
        "customer's preferences do not permit, even where the studio records such communications. "
        "`RECORD` or absent: the studio's setting applies (default `RECORD`).",
    ),
]

_CONSENT = """
An OUTGOING communication is checked against the customer's preferences for its
`messageCategory` (extension; default: the thread's category, else `GENERAL`) and channel, and
carries an `authorization` receipt (extension) with the decision, its rule and the consent ledger
entry behind it. What happens when the preferences do not permit it depends on the consent
enforcement: `RECORD` (the default) stores it all the same, with `authorization.permitted: false`
(the `COMMUNICATION_CREATED` event says `permitted: false` too), as the original API records
communications; `REJECT` (chosen by the studio's operator, or per request with the
`Consent-Enforcement: REJECT` header) refuses it with 409 `COMMUNICATION_NOT_PERMITTED` and stores
nothing. That 409 is a decision, not a concurrent modification: retrying the same request does not
help. INCOMING communications are never refused. `requestId` in the body is an alias of the
`Idempotency-Key` header.
"""


@router.post(
    "/{customerId}/threads",
    operation_id="createCommunicationInNewCommunicationThread",
    summary="Create communication thread",
    description="Required Scopes: `COMMUNICATION_WRITE`\n\nCreates a thread with its first communication "
    "(answers 200, as the original).\n" + _CONSENT,
    response_model=CommunicationThreadResponse,
    responses=error_responses(*COMPATIBLE_ERRORS, 413, 415),
)
@hot
@runs(Runs.LOOP)
async def create_thread(
    customerId: CustomerId, body: CommunicationThreadRequest, ctx: Writer, enforcement: Enforcement = None
) -> Response:
    request_id = ctx.adopt_request_id(body.requestId)

    def work(tx: Tx, principal: Principal) -> CommunicationThreadResponse:
        return service.create_thread(
            tx,
            principal.studio_id,
            customerId,
            body,
            enforcement=enforcement,
            request_id=request_id,
            now=ctx.now,
        )

    return await ctx.run(work)


@hot
@runs(Runs.LOOP)
async def _append(
    customerId: CustomerId,
    threadId: ThreadId,
    body: CommunicationThreadRequest,
    ctx: Writer,
    enforcement: Enforcement = None,
) -> Response:
    request_id = ctx.adopt_request_id(body.requestId)

    def work(tx: Tx, principal: Principal) -> CommunicationThreadResponse:
        return service.append_communication(
            tx,
            principal.studio_id,
            customerId,
            threadId,
            body,
            enforcement=enforcement,
            request_id=request_id,
            now=ctx.now,
        )

    return await ctx.run(work)


router.add_api_route(
    "/{customerId}/threads/{threadId}",
    _append,
    methods=["PUT"],
    operation_id="createCommunicationInExistingCommunicationThread",
    summary="Update communication thread",
    description="Required Scopes: `COMMUNICATION_WRITE`\n\nAdds a communication to the thread and sets the "
    "thread's status from the body. A CLOSED thread accepts new communications; the body's status "
    "becomes the thread's (a new message re-opens a ticket). The category defaults to the thread's. "
    "A thread of another customer or studio is 404. `POST` on this path is accepted too (the "
    "published use-case page and some clients send POST).\n" + _CONSENT,
    response_model=CommunicationThreadResponse,
    responses=error_responses(*COMPATIBLE_ERRORS, 413, 415),
)
router.add_api_route(
    "/{customerId}/threads/{threadId}",
    _append,
    methods=["POST"],
    include_in_schema=False,
    response_model=CommunicationThreadResponse,
)


@router.get(
    "/{customerId}/threads",
    operation_id="listCommunicationThreads",
    summary="A customer's threads (extension)",
    response_model=Slice[CommunicationThreadSummary],
    responses=error_responses(400, 401, 403, 404, 429, 500),
)
async def list_threads(
    customerId: CustomerId,
    ctx: Reader,
    communicationThreadStatus: Annotated[CommunicationThreadStatus | None, Query()] = None,
    offset: Annotated[
        str | None, Query(max_length=19, pattern=OFFSET_PATTERN, description="From the previous slice")
    ] = None,
    sliceSize: Annotated[int, Query(ge=1, le=MAX_SLICE_SIZE)] = DEFAULT_SLICE_SIZE,
) -> Response:
    """Required Scopes: `COMMUNICATION_READ`. Newest thread first, in Sport Alliance slices."""
    return await ctx.run(
        lambda tx, principal: timeline.list_threads(
            tx,
            principal.studio_id,
            customerId,
            status=communicationThreadStatus,
            offset=offset,
            slice_size=sliceSize,
        )
    )


@router.get(
    "/{customerId}/threads/{threadId}",
    operation_id="getCommunicationThread",
    summary="A thread with its communications (extension)",
    response_model=CommunicationThreadRead,
    responses=error_responses(400, 401, 403, 404, 429, 500),
)
@hot
async def get_thread(customerId: CustomerId, threadId: ThreadId, ctx: Reader) -> Response:
    """Required Scopes: `COMMUNICATION_READ`. Communications oldest first, each with its receipt."""
    return await ctx.run(
        lambda tx, principal: timeline.get_thread(tx, principal.studio_id, customerId, threadId)
    )
