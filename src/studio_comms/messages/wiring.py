"""The message handler and its transports, built from the settings (``background``)."""

from __future__ import annotations

from studio_comms.core.vocabulary import CommunicationChannel
from studio_comms.db.database import Database
from studio_comms.links.secret import LazySigner
from studio_comms.messages.email_message import DkimKey, domain_of
from studio_comms.messages.handlers import SendMessage
from studio_comms.messages.sending import Links
from studio_comms.messages.smtp import EmlTransport, SmtpTarget, SmtpTransport
from studio_comms.messages.transports import NoSmsProvider, Transport
from studio_comms.settings import Settings


def dkim_key(settings: Settings) -> DkimKey | None:
    if settings.dkim_private_key_path is None:
        return None
    return DkimKey.load(
        settings.dkim_private_key_path,
        selector=settings.dkim_selector,
        domain=settings.dkim_domain or domain_of(settings.email_from),
    )


def email_transport(settings: Settings) -> Transport:
    key = dkim_key(settings)
    if settings.smtp_url is None:
        return EmlTransport(settings.mail_dir, dkim_key=key)
    return SmtpTransport(
        SmtpTarget.parse(settings.smtp_url.get_secret_value()),
        timeout=settings.smtp_timeout_seconds,
        ca_bundle=settings.smtp_ca_bundle,
        dkim_key=key,
    )


def build_transports(settings: Settings) -> dict[CommunicationChannel, Transport]:
    return {
        CommunicationChannel.EMAIL: email_transport(settings),
        CommunicationChannel.TEXT_MESSAGE: NoSmsProvider(),
    }


def message_handler(
    settings: Settings, database: Database, transports: dict[CommunicationChannel, Transport] | None = None
) -> SendMessage:
    return SendMessage(
        database,
        transports if transports is not None else build_transports(settings),
        links=Links(
            signer=LazySigner(settings),
            base_url=settings.public_base_url,
            bounce_address=settings.bounce_address,
        ),
        default_from=settings.email_from,
    )


def describe_email(settings: Settings) -> str:
    """The startup line saying where e-mail goes (``serve``, ``worker``, ``make run``)."""
    dkim = f", DKIM selector {settings.dkim_selector}" if settings.dkim_private_key_path else ", no DKIM key"
    if settings.smtp_url is None:
        return (
            f"E-mail: no SMTP server configured (STUDIO_COMMS_SMTP_URL); messages are written as .eml "
            f"files to {settings.mail_dir.resolve()}{dkim}"
        )
    target = SmtpTarget.parse(settings.smtp_url.get_secret_value())
    return f"E-mail: sent through {target.describe()}, From {settings.email_from} by default{dkim}"
