"""Signed member links: the tokens and their secret, issuing preference-center and one-click
unsubscribe links (the partner API, and ``messages`` for the e-mails it sends), and checking a
link against the database (``web``'s pages)."""
