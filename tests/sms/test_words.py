"""What a member's SMS reply asks for (``sms.words.read``, a pure function): the table of it."""

from __future__ import annotations

import pytest

from studio_comms.sms.answers import Contact, help_text, twiml
from studio_comms.sms.words import Intent, Reading, read

# The words (the FCC's, common variants, German), alone.
KEYWORDS = [
    ("STOP", "STOP"),
    ("STOP ALL", "STOP ALL"),
    ("STOPALL", "STOPALL"),
    ("UNSUBSCRIBE", "UNSUBSCRIBE"),
    ("CANCEL", "CANCEL"),
    ("END", "END"),
    ("QUIT", "QUIT"),
    ("REVOKE", "REVOKE"),
    ("OPT OUT", "OPT OUT"),
    ("OPTOUT", "OPTOUT"),
    ("OPT-OUT", "OPT OUT"),
    ("REMOVE", "REMOVE"),
    ("STOPP", "STOPP"),
    ("ABMELDEN", "ABMELDEN"),
    ("ABBESTELLEN", "ABBESTELLEN"),
    ("KEINE SMS", "KEINE SMS"),
]
# With case, punctuation, blanks and greeting or politeness words around them.
AROUND = [
    ("stop", "STOP"),
    ("  Stop!\n", "STOP"),
    ("STOP!!", "STOP"),
    ("Stop please", "STOP"),
    ("Stop. Thanks", "STOP"),
    ("Hi, STOP ALL thx", "STOP ALL"),
    ("opt out please", "OPT OUT"),
    ("Opt-out.", "OPT OUT"),
    ("bitte abmelden", "ABMELDEN"),
    ("Abbestellen, danke!", "ABBESTELLEN"),
    ("keine SMS bitte", "KEINE SMS"),
    ("Hallo, STOPP.", "STOPP"),
    ("revoke 🙏", "REVOKE"),
    ("Remove me", "REMOVE ME"),
    ("stop stop", "STOP"),
    ("STOP. UNSUBSCRIBE", "STOP, UNSUBSCRIBE"),
    ("\uff33\uff34\uff2f\uff30", "STOP"),  # full-width letters (NFKC)
]
# Longer texts that clearly ask not to be texted: the words quoted as written, lower-cased.
CLEAR = [
    ("please don't text me anymore", "don't text me anymore"),
    ("Please don\u2019t text me anymore!", "don't text me anymore"),  # a typographic apostrophe
    ("no more texts", "no more texts"),
    ("No more messages please", "no more messages"),
    ("Hi, great class. Please stop sending me these messages though.", "stop sending me these messages"),
    ("stop texting me", "stop texting me"),
    ("Please remove me from your list", "remove me from your list"),
    ("I do not wish to receive any more messages", "do not wish to receive any more messages"),
    ("I want to unsubscribe", "want to unsubscribe"),
    ("I revoke my consent", "revoke my consent"),
    ("bitte keine Nachrichten mehr", "keine nachrichten mehr"),
    ("Ich möchte keine SMS mehr erhalten", "keine sms mehr"),
    ("Schreiben Sie mir bitte nicht mehr", "schreiben sie mir bitte nicht mehr"),
    ("Bitte von den SMS abmelden", "von den sms abmelden"),
    ("Ich widerrufe meine Einwilligung", "widerrufe meine einwilligung"),
]
# Naming a keyword word in another sense, negated or asked: for an operator, never applied.
UNCLEAR = [
    ("I'll stop by tomorrow", "stop"),
    ("can't wait to start", "start"),
    ("Stop the music", "stop"),
    ("I need to cancel my class", "cancel"),
    ("See you at the end of the week", "end"),
    ("I don't want you to stop texting me", "stop"),
    ("Can you stop texting me?", "stop"),
    ("please remove me from the 6pm class", "remove"),
    ("Bitte nicht mehr stoppen, ich komme morgen", "stoppen"),
    ("Ich möchte mich abmelden", "abmelden"),
    ("Ich habe keine SMS bekommen", "keine sms"),
    ("don't opt out", "opt out"),
    ("stop help", "stop"),
]
NOTHING = ["", "   ", "Danke!", "Thanks, see you", "YES", "yes please", "Ja", "OK", "take me to class"]


@pytest.mark.parametrize(("body", "words"), KEYWORDS + AROUND)
def test_keywords_alone_or_with_greetings_revoke(body: str, words: str) -> None:
    assert read(body) == Reading(Intent.REVOKE, words)


@pytest.mark.parametrize(("body", "words"), CLEAR)
def test_a_longer_text_that_clearly_asks_revokes_and_quotes_the_request(body: str, words: str) -> None:
    assert read(body) == Reading(Intent.REVOKE, words)


@pytest.mark.parametrize(("body", "words"), UNCLEAR)
def test_a_keyword_word_in_another_sense_is_for_an_operator(body: str, words: str) -> None:
    assert read(body) == Reading(Intent.UNCLEAR, words)


@pytest.mark.parametrize("body", NOTHING)
def test_other_replies_ask_nothing(body: str) -> None:
    assert read(body) is None


@pytest.mark.parametrize(
    ("body", "reading"),
    [
        ("START", Reading(Intent.OPT_IN, "START")),
        ("start.", Reading(Intent.OPT_IN, "START")),
        ("Unstop", Reading(Intent.OPT_IN, "UNSTOP")),
        ("HELP", Reading(Intent.HELP, "HELP")),
        ("help?", Reading(Intent.HELP, "HELP")),
        ("Info", Reading(Intent.HELP, "INFO")),
        ("Hilfe bitte", Reading(Intent.HELP, "HILFE")),
    ],
)
def test_start_and_help(body: str, reading: Reading) -> None:
    assert read(body) == reading


def test_a_very_long_request_is_quoted_bounded() -> None:
    reading = read("please don't text me anymore " + "x" * 5000)
    assert reading is not None
    assert len(reading.words) <= 200


@pytest.mark.parametrize(
    ("contact", "language", "text"),
    [
        (
            Contact("Studio Mitte", "+49 30 1234567", "info@mitte.example", "https://mitte.example"),
            "en",
            "Studio Mitte: for help, call +49 30 1234567, e-mail info@mitte.example, "
            "https://mitte.example. Reply STOP to stop text messages.",
        ),
        (
            Contact("Studio Mitte", None, "info@mitte.example"),
            "de",
            "Studio Mitte: Hilfe erhalten Sie unter E-Mail info@mitte.example. "
            "Antworten Sie STOP, um keine SMS mehr zu erhalten.",
        ),
        (
            Contact("Studio Mitte"),
            "fr",
            "Studio Mitte: for help, please ask us at the studio. Reply STOP to stop text messages.",
        ),
        (
            Contact("Studio Mitte", telephone="  "),
            "de",
            "Studio Mitte: Hilfe erhalten Sie im Studio. Antworten Sie STOP, um keine SMS mehr zu erhalten.",
        ),
    ],
)
def test_the_help_answer_names_the_studio_and_what_is_set_of_its_contact(
    contact: Contact, language: str, text: str
) -> None:
    assert help_text(contact, language) == text


def test_twiml_escapes_the_message() -> None:
    assert twiml(None) == b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert twiml("A & B <Gym>") == (
        b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>A &amp; B &lt;Gym&gt;</Message></Response>'
    )
