"""The offer of a new studio, until an operator sets another (marketing is opt-in)."""

from __future__ import annotations

from studio_comms.core.vocabulary import CommunicationChannel as Ch
from studio_comms.core.vocabulary import MessageCategory as Cat

# (category, channel, active, customer_overridable)
DEFAULT_SETTINGS: tuple[tuple[Cat, Ch, bool, bool], ...] = (
    (Cat.CONTRACT, Ch.EMAIL, True, False),
    (Cat.CONTRACT, Ch.LETTER, True, False),
    (Cat.APPOINTMENT, Ch.EMAIL, True, True),
    (Cat.APPOINTMENT, Ch.TEXT_MESSAGE, True, True),
    (Cat.GENERAL, Ch.EMAIL, True, True),
    (Cat.GENERAL, Ch.LETTER, True, True),
    (Cat.GENERAL, Ch.PHONE, True, True),
    (Cat.NEWSLETTER, Ch.EMAIL, False, True),
    (Cat.NEWSLETTER, Ch.TEXT_MESSAGE, False, True),
    (Cat.LOYALTY_PROGRAM, Ch.EMAIL, False, True),
    (Cat.LOYALTY_PROGRAM, Ch.TEXT_MESSAGE, False, True),
)
