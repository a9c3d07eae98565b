"""Request paths and bodies many API tests send (the wire's, as a partner sends them)."""

from __future__ import annotations

PREFS = "/v1/communications/1/communication-preferences"
THREADS = "/v1/communications/1/threads"
OPT_IN = [{"messageCategory": "NEWSLETTER", "channels": [{"communicationChannel": "EMAIL", "active": True}]}]
# INCOMING: never refused by the preferences.
THREAD = {
    "communicationThreadStatus": "CREATED",
    "subject": "Hello",
    "content": "Hi",
    "communicationDirection": "INCOMING",
    "communicationChannel": "EMAIL",
}
