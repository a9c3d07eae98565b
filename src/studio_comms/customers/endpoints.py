"""The official customer reads a partner's integration calls with its key (``/v1/customers``).

Operation ids, parameters and schemas as in the official spec (tag ``Customers``); the parameters
studio-comms holds nothing for (card numbers, debtor ids, barcodes) are published and answered 400
naming the parameter, so an integration learns at once that it must look customers up otherwise.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from studio_comms.api.context import ApiContext, api_reader
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.openapi import COMPATIBLE_ERRORS, CustomerId, error_responses
from studio_comms.core.schemas import INT64_MAX, INT64_MIN
from studio_comms.customers import reads
from studio_comms.customers.official_schemas import (
    CardNumberFormat,
    Customer,
    CustomerSearchRequest,
    CustomerSlicedResult,
    CustomerStatusFilter,
    InlineStatusFilter,
)
from studio_comms.db.tx import Tx

router = APIRouter(prefix="/v1/customers", tags=["Customers"])

Reader = Annotated[ApiContext, Depends(api_reader(Scope.CUSTOMER_READ))]
CardFormat = Annotated[CardNumberFormat, Query(description="Accepted; studio-comms holds no card numbers")]
NotHeld = Annotated[str | None, Query(description="Not held by studio-comms: answered 400")]
INT64 = {"format": "int64"}


@router.get(
    "",
    operation_id="getCustomers",
    summary="Get customers",
    response_model=CustomerSlicedResult,
    responses=error_responses(*COMPATIBLE_ERRORS),
)
async def get_customers(
    ctx: Reader,
    cardNumberFormat: CardFormat = CardNumberFormat.DECIMAL,
    lastOffsetId: Annotated[
        int | None,
        Query(
            ge=INT64_MIN,
            le=INT64_MAX,
            deprecated=True,
            description="Last ID of customer from last chunk (0 or less: the start)",
            json_schema_extra=INT64,
        ),
    ] = None,
    offset: Annotated[
        str | None,
        # Published as the official plain string; what is not an id is refused by the slice
        # (400 naming offset).
        Query(
            description="Offset from last request (last ID of the customer)",
        ),
    ] = None,
    sliceSize: Annotated[
        int,
        Query(ge=50, le=500, description="Desired size of data chunk", json_schema_extra={"format": "int32"}),
    ] = 100,
    customerStatus: Annotated[
        InlineStatusFilter, Query(description="Defines status of returned customers")
    ] = CustomerStatusFilter.MEMBER,
) -> Response:
    """Required Scopes: `CUSTOMER_READ`

    Returns all customers from studio in expected slices: by ascending id, one status at a time
    (default `MEMBER`). Pass back `offset` while `hasNext`; `lastOffsetId` (deprecated) is read
    when `offset` is not given.
    """
    cursor = offset
    if cursor is None and lastOffsetId is not None:
        cursor = str(max(lastOffsetId, 0))  # no customer id is 0 or less: from the start
    return await ctx.run(
        lambda tx, principal: reads.customer_slice(tx, principal.studio_id, customerStatus, cursor, sliceSize)
    )


# Before "/{customerId}": "by" is not an id.
@router.get(
    "/by",
    operation_id="getCustomerBy",
    summary="Get customer by",
    response_model=Customer,
    responses=error_responses(*COMPATIBLE_ERRORS),
)
async def get_customer_by(
    ctx: Reader,
    cardNumber: NotHeld = None,
    cardNumberFormat: CardFormat = CardNumberFormat.DECIMAL,
    debtorId: NotHeld = None,
    qrCodeUuid: Annotated[
        UUID | None, Query(deprecated=True, description="Not held by studio-comms: answered 400")
    ] = None,
    barcode: NotHeld = None,
    customerNumber: Annotated[
        str | None, Query(description="Customer number to identify the customer")
    ] = None,
) -> Response:
    """Required Scopes: `CUSTOMER_READ`

    Returns customer by one of the given parameters. studio-comms looks customers up by
    `customerNumber` (as the operator stored it); the other parameters are answered 400
    `SEARCH_CRITERION_NOT_HELD`, no parameter 400 `SEARCH_CRITERIA_MISSING`, an unknown number 404
    `CUSTOMER_NOT_FOUND`.
    """
    # An empty parameter (`?cardNumber=`) asks for nothing, as generated clients send unset ones.
    given = {"cardNumber": cardNumber, "debtorId": debtorId, "qrCodeUuid": qrCodeUuid, "barcode": barcode}
    not_held = [name for name, value in given.items() if value not in (None, "")]
    number = customerNumber or None

    def work(tx: Tx, principal: Principal) -> Customer:
        return reads.customer_by(tx, principal.studio_id, number, not_held)

    return await ctx.run(work)


@router.get(
    "/{customerId}",
    operation_id="getCustomerById",
    summary="Get customer by id",
    response_model=Customer,
    responses=error_responses(*COMPATIBLE_ERRORS),
)
async def get_customer_by_id(
    customerId: CustomerId, ctx: Reader, cardNumberFormat: CardFormat = CardNumberFormat.DECIMAL
) -> Response:
    """Required Scopes: `CUSTOMER_READ`

    Returns customer by given id (404 `CUSTOMER_NOT_FOUND` for an id the studio does not have).
    """
    return await ctx.run(lambda tx, principal: reads.customer_by_id(tx, principal.studio_id, customerId))


@router.post(
    "/search",
    operation_id="searchCustomers",
    summary="Search customers",
    response_model=list[Customer],
    responses=error_responses(*COMPATIBLE_ERRORS, 413, 415),
)
async def search_customers(body: CustomerSearchRequest, ctx: Reader) -> Response:
    """Required Scopes: `CUSTOMER_READ`

    Returns all customers from studio by given criteria, by id: `firstName` and `lastName` match
    the beginning of the name, `email` the whole address, all without regard to case; every given
    criterion must match. No criterion: 400 `SEARCH_CRITERIA_MISSING`; `dateOfBirth` (not held by
    studio-comms): 400 `SEARCH_CRITERION_NOT_HELD`.
    """
    return await ctx.run(lambda tx, principal: reads.search(tx, principal.studio_id, body))
