"""The startup lines say where e-mail goes: an SMTP server (never its password) or .eml files."""

from __future__ import annotations

from pathlib import Path

from tests.servers import serve_process


def test_without_smtp_serve_says_mail_goes_to_eml_files(tmp_path: Path) -> None:
    database = tmp_path / "studio-comms.db"
    with serve_process(tmp_path, f"sqlite:///{database}", worker=True) as server:
        output = server.log.read_text()
    mail_dir = (tmp_path / "var" / "mail").resolve()
    expected = "E-mail: no SMTP server configured (STUDIO_COMMS_SMTP_URL); messages are written as .eml files"
    assert f"{expected} to {mail_dir}" in output


def test_with_smtp_serve_names_the_server_but_not_the_password(tmp_path: Path) -> None:
    database = tmp_path / "studio-comms.db"
    url = "smtp://mailer:hunter2-secret@127.0.0.1:2525?starttls=required"
    with serve_process(tmp_path, f"sqlite:///{database}", worker=True, smtp_url=url) as server:
        output = server.log.read_text()
    assert "E-mail: sent through smtp://mailer@127.0.0.1:2525 (STARTTLS required)" in output
    assert "hunter2" not in output
