"""The compatible communication-preferences operations and their extensions (``/v1``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, api_reader, api_writer
from studio_comms.api.hot import hot
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import COMPATIBLE_ERRORS, CustomerId, error_responses
from studio_comms.core.schemas import Slice
from studio_comms.core.slicing import DEFAULT_SLICE_SIZE, MAX_SLICE_SIZE, OFFSET_PATTERN
from studio_comms.core.units import Runs, runs
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.db.tx import Tx
from studio_comms.preferences import service
from studio_comms.preferences.schemas import (
    CommunicationPermission,
    CommunicationPreference,
    ConsentLedgerEntryRead,
)

router = APIRouter(prefix="/v1/communications", tags=["Customers Communication"])

Reader = Annotated[ApiContext, Depends(api_reader(Scope.COMMUNICATION_PREFERENCES_READ))]
Writer = Annotated[ApiContext, Depends(api_writer(Scope.COMMUNICATION_PREFERENCES_WRITE))]


@router.get(
    "/{customerId}/communication-preferences",
    operation_id="getCommunicationPreferences",
    summary="Get communication preferences",
    response_model=list[CommunicationPreference],
    responses=error_responses(*COMPATIBLE_ERRORS),
)
@hot
@runs(Runs.LOOP)
async def get_communication_preferences(customerId: CustomerId, ctx: Reader) -> Response:
    """Required Scopes: `COMMUNICATION_PREFERENCES_READ`.

    The customer's effective preferences: one entry per message category the studio offers, each
    channel with its effective `active` and whether the customer may change it.
    """
    return await ctx.run_read(
        lambda tx, principal: service.get_preferences(tx, principal.studio_id, customerId)
    )


@router.put(
    "/{customerId}/communication-preferences",
    operation_id="updateCommunicationPreferences",
    summary="Update communication preferences",
    response_model=list[CommunicationPreference],
    responses=error_responses(*COMPATIBLE_ERRORS, 413, 415),
)
@hot
@runs(Runs.LOOP)
async def update_communication_preferences(
    customerId: CustomerId,
    ctx: Writer,
    body: Annotated[list[CommunicationPreference], Body()],
) -> Response:
    """Required Scopes: `COMMUNICATION_PREFERENCES_WRITE`.

    Merges the body into the customer's preferences: categories and channels that are not in the
    body, and channels without `active`, stay as they are. `customerOverridable` in the body is
    ignored (the studio decides it). Answers with the full effective state, as a following GET.

    400 for a duplicate category or channel, a channel the studio does not offer
    (`CHANNEL_NOT_OFFERED`) or a change of a channel the customer may not change
    (`CHANNEL_NOT_OVERRIDABLE`); 409 `CHANNEL_SUPPRESSED` for activating a blocked channel.
    A refused body changes nothing. Each effective change is recorded in the consent ledger.
    """

    def work(tx: Tx, principal: Principal) -> bytes:
        state, _changes = service.update_preferences(
            tx, principal.studio_id, customerId, body, audit=ctx.audit(principal), now=ctx.now
        )
        return service.wire_json(state)

    return await ctx.run(work)


@router.get(
    "/{customerId}/communication-preferences/history",
    operation_id="getCommunicationPreferencesHistory",
    summary="Consent history (extension)",
    response_model=Slice[ConsentLedgerEntryRead],
    responses=error_responses(400, 401, 403, 404, 429, 500),
)
async def get_communication_preferences_history(
    customerId: CustomerId,
    ctx: Reader,
    offset: Annotated[
        str | None, Query(max_length=19, pattern=OFFSET_PATTERN, description="From the previous slice")
    ] = None,
    sliceSize: Annotated[int, Query(ge=1, le=MAX_SLICE_SIZE)] = DEFAULT_SLICE_SIZE,
) -> Response:
    """Required Scopes: `COMMUNICATION_PREFERENCES_READ`.

    The consent ledger of the customer, newest first, in Sport Alliance slices.
    """
    return await ctx.run(
        lambda tx, principal: service.get_history(
            tx, principal.studio_id, customerId, offset=offset, slice_size=sliceSize
        )
    )


@router.get(
    "/{customerId}/communication-permission",
    operation_id="getCommunicationPermission",
    summary="May we contact the customer? (extension)",
    response_model=CommunicationPermission,
    responses=error_responses(400, 401, 403, 404, 429, 500),
)
@runs(Runs.LOOP)
async def get_communication_permission(
    customerId: CustomerId,
    ctx: Reader,
    messageCategory: Annotated[MessageCategory, Query()],
    communicationChannel: Annotated[CommunicationChannel, Query()],
) -> Response:
    """Required Scopes: `COMMUNICATION_PREFERENCES_READ`.

    The decision for one category and channel, the rule that made it (`BLOCKED`, `NOT_OFFERED`,
    `STUDIO_ENFORCED`, `CUSTOMER_CHOICE`, `STUDIO_DEFAULT`) and the consent ledger entry behind a
    customer's choice. An erased customer is `BLOCKED` (`blockReason: ERASED`) on every channel.
    Sending, the receipts of threads and the member pages take this same decision.
    """
    return await ctx.run_read(
        lambda tx, principal: service.get_permission(
            tx,
            principal.studio_id,
            customerId,
            messageCategory,
            communicationChannel,
            now=ctx.now,
        )
    )
