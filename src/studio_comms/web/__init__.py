"""The member-facing pages: the preference center and one-click unsubscribe, opened with the
signed links of ``links``."""
