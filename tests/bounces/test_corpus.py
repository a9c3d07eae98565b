"""Real returned mail (tests/bounces/corpus, SOURCES.md): how often a hard bounce is recognised
with the right address, and that no soft, sender-side or auto-reply message would suppress anyone.

The figures are printed (``pytest -s``) and held: every soft or sender-side message suppresses
nobody (issue 17: 30 % did), at least 95 % of the hard bounces that name an address are recognised
with it, and the reasons agree with the reading for at least 95 % of the rows.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from studio_comms.bounces.reading import Reading, Shape, read
from studio_comms.core.mailstatus import Reason

CORPUS = Path(__file__).parent / "corpus"
ADDRESS_LEVEL = {Reason.USER_UNKNOWN, Reason.HOST_UNKNOWN, Reason.MAILBOX_DISABLED}


@cache
def reading(file: str) -> Reading:
    return read((CORPUS / file).read_bytes())


def expected() -> list[dict[str, str]]:
    with (CORPUS / "expected.csv").open(newline="") as table:
        return list(csv.DictReader(table))


def hard_recipients(file: str) -> list[set[str]]:
    """The addresses (final and original) of each recipient the reading would suppress."""
    found = reading(file)
    if found.delivery is None:
        return []
    return [{a.lower() for a in r.addresses} for r in found.delivery.recipients if r.hard]


def hard_addresses(file: str) -> set[str]:
    """Every address the reading would suppress for this message."""
    found = reading(file)
    if found.delivery is None:
        return set()
    return {a.lower() for r in found.delivery.recipients if r.hard for a in r.addresses}


def verdicts(file: str, address: str) -> list[Reason]:
    found = reading(file)
    if found.delivery is None:
        return []
    return [
        r.verdict.reason
        for r in found.delivery.recipients
        if address.lower() in {a.lower() for a in r.addresses}
    ]


def test_every_sample_is_listed_and_read_without_error() -> None:
    files = {str(path.relative_to(CORPUS)) for path in CORPUS.glob("*/*") if path.name != "LICENSE"}
    assert files == {row["file"] for row in expected()}
    assert len(files) == 243
    for file in files:
        reading(file)  # raises on a message the service would answer 400


def test_no_soft_sender_side_or_auto_reply_message_suppresses_anyone() -> None:
    by_file: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in expected():
        by_file[row["file"]].append(row)
    wrong = []
    for file, rows in by_file.items():
        allowed = {row["address"].lower() for row in rows if row["hard"] == "hard" and row["address"]}
        wrong += [f"{file}: {sorted(names)}" for names in hard_recipients(file) if not names & allowed]
    soft = [row for row in expected() if row["hard"] == "soft"]
    print(
        f"\nsoft, sender-side, auto-reply or no-report rows: {len(soft)}; suppressing wrongly: {len(wrong)}"
    )
    assert wrong == []


def test_hard_bounces_are_recognised_with_the_right_address() -> None:
    hard = [row for row in expected() if row["hard"] == "hard"]
    named = [row for row in hard if row["address"]]
    recognised = [row for row in named if row["address"].lower() in hard_addresses(row["file"])]
    missed = [f"{row['file']}: {row['address']}" for row in named if row not in recognised]
    share = len(recognised) / len(named)
    print(
        f"\nhard bounces: {len(hard)} ({len(hard) - len(named)} name no address); recognised with the "
        f"right address: {len(recognised)}/{len(named)} = {share:.1%}; missed: {missed}"
    )
    assert share >= 0.95


def test_the_reasons_agree_with_the_reading() -> None:
    rows = [row for row in expected() if row["address"]]
    agree = [row for row in rows if Reason(row["reason"]) in verdicts(row["file"], row["address"])]
    differ = [
        f"{r['file']}: {r['reason']} read, {verdicts(r['file'], r['address'])}"
        for r in rows
        if r not in agree
    ]
    print(f"\nreasons agreeing: {len(agree)}/{len(rows)} = {len(agree) / len(rows):.1%}; differing: {differ}")
    assert len(agree) / len(rows) >= 0.95


def test_messages_without_a_failed_address_are_read_as_such() -> None:
    for row in expected():
        if not row["address"] and row["reason"] == "AUTO_REPLY":
            assert reading(row["file"]).shape is Shape.AUTO_REPLY, row["file"]


@pytest.mark.parametrize(
    "reason",
    [
        Reason.MAILBOX_FULL,
        Reason.CONTENT_BLOCKED,
        Reason.SENDER_POLICY,
        Reason.RELAYING_DENIED,
        Reason.TOO_LARGE,
    ],
)
def test_each_kind_of_soft_failure_is_in_the_corpus(reason: Reason) -> None:
    assert any(row["reason"] == reason for row in expected())


def test_flufl_bounce_s_own_expectations_independently() -> None:
    """The addresses flufl.bounce's tests expect (not our table): does the reading name them, and
    which of its permanent failures do we call hard (the rest have a reason that is not the
    address's fault, or none)."""
    with (CORPUS / "flufl-detectors.csv").open(newline="") as table:
        rows = [row for row in csv.DictReader(table) if row["addresses"]]
    named = found = 0
    hard_permanent = permanent = 0
    for row in rows:
        result = reading(row["file"])
        listed = (
            {a.lower() for r in result.delivery.recipients for a in r.addresses} if result.delivery else set()
        )
        for address in row["addresses"].split():
            named += 1
            found += address.lower() in listed
            if row["temporary"] == "no":
                permanent += 1
                hard_permanent += address.lower() in hard_addresses(row["file"])
            else:
                assert address.lower() not in hard_addresses(row["file"]), row["file"]
    print(
        f"\nflufl.bounce's expected addresses found: {found}/{named} = {found / named:.1%}; of its "
        f"permanent failures, judged hard here: {hard_permanent}/{permanent}"
    )
    assert found / named >= 0.95
