"""The one shape of a repository of studio-owned rows.

A repository is built with a transaction and the studio it serves; every statement it runs gets
that studio as ``:studio_id`` without the caller passing it, and the architecture tests check
that every statement on a studio-owned table filters by it. Another studio's rows are then simply
not there: the API answers 404, never "forbidden".
"""

from __future__ import annotations

from typing import Any

from studio_comms.db.sql import NoRows, Sql
from studio_comms.db.tx import R, Tx


class StudioScoped:
    __slots__ = ("studio_id", "tx")

    def __init__(self, tx: Tx, studio_id: int) -> None:
        self.tx = tx
        self.studio_id = studio_id

    def _rows(self, sql: Sql[R], **params: Any) -> list[R]:
        return self.tx.rows(sql, studio_id=self.studio_id, **params)

    def _row(self, sql: Sql[R], **params: Any) -> R | None:
        return self.tx.row(sql, studio_id=self.studio_id, **params)

    def _scalar(self, sql: Sql[NoRows], **params: Any) -> Any:
        return self.tx.scalar(sql, studio_id=self.studio_id, **params)

    def _run(self, sql: Sql[Any], **params: Any) -> int:
        return self.tx.run(sql, studio_id=self.studio_id, **params)
