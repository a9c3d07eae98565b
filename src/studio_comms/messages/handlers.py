"""The outbox handler of ``message`` items: decide again, then send through the channel's transport."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.db.database import Database
from studio_comms.db.tx import Tx
from studio_comms.messages import sending
from studio_comms.messages.sending import Fail, Links, NotYet, Quiet, Refuse, Send, Skip
from studio_comms.messages.transports import NO_SMS_PROVIDER, SendResult, Transport
from studio_comms.outbox.queue import ClaimedItem
from studio_comms.outbox.worker import AttemptInfo, Outcome, Recorder

log = logging.getLogger("studio_comms.messages")


class SendMessage:
    def __init__(
        self,
        database: Database,
        transports: Mapping[CommunicationChannel, Transport],
        *,
        links: Links,
        default_from: str,
    ) -> None:
        self.database = database
        self.transports = transports
        self.links = links
        self.default_from = default_from

    def perform(self, item: ClaimedItem, now: datetime) -> Recorder:
        studio_id, message_id = item.studio_id, item.entity_id
        with self.database.read() as tx:
            plan = sending.prepare(
                tx, studio_id, message_id, now=now, links=self.links, default_from=self.default_from
            )
        if isinstance(plan, Skip):
            return lambda tx, attempt: Outcome()
        if isinstance(plan, NotYet):
            wait = max((plan.until - now).total_seconds(), 0.0)
            return lambda tx, attempt: Outcome(defer_seconds=wait)
        if isinstance(plan, Refuse):
            decision = plan.decision

            def refused(tx: Tx, attempt: AttemptInfo) -> Outcome:
                sending.record_refused(tx, studio_id, message_id, decision, now=attempt.now)
                return Outcome()

            return refused
        if isinstance(plan, Quiet):
            until, decision = plan.until, plan.decision

            def deferred(tx: Tx, attempt: AttemptInfo) -> Outcome:
                sending.record_quiet(tx, studio_id, message_id, until, decision, now=attempt.now)
                return Outcome(defer_seconds=max((until - attempt.now).total_seconds(), 0.0))

            return deferred
        if isinstance(plan, Fail):
            result = SendResult(False, error=plan.reason)
            return self._recorder(studio_id, message_id, result, plan, header=None)
        assert isinstance(plan, Send)
        transport = self.transports.get(plan.message.channel)
        if transport is None:
            result = SendResult(False, error=NO_SMS_PROVIDER)
        else:
            result = transport.send(plan.message)
        return self._recorder(studio_id, message_id, result, plan, header=plan.message.message_id_header)

    @staticmethod
    def _recorder(
        studio_id: int, message_id: int, result: SendResult, plan: Send | Fail, *, header: str | None
    ) -> Recorder:
        def record(tx: Tx, attempt: AttemptInfo) -> Outcome:
            done = sending.record_result(
                tx, studio_id, message_id, result, plan.decision,
                header=header, final=attempt.retry_at is None, now=attempt.now,
            )  # fmt: skip
            # Not done: the worker retries on its schedule (the item's error says why).
            return Outcome() if done else Outcome(result.error or "not sent")

        return record

    def failed(self, tx: Tx, item: ClaimedItem, attempt: AttemptInfo, error: str) -> None:
        sending.record_crash(
            tx, item.studio_id, item.entity_id, error, final=attempt.retry_at is None, now=attempt.now
        )

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
