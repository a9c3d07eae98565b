"""Operator routes under ``/admin/v1/studios/{studioId}``: the studio must exist (404 otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from studio_comms.api.context import AdminContext
from studio_comms.db.tx import Tx
from studio_comms.studios.service import require_studio


async def in_studio(ctx: AdminContext, studio_id: int, work: Callable[[Tx], Any]) -> Response:
    """``work`` in one transaction, after checking the studio exists (``STUDIO_NOT_FOUND``)."""

    def checked(tx: Tx) -> Any:
        require_studio(tx, studio_id)
        return work(tx)

    return await ctx.run(checked)
