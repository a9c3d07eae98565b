"""The member-facing side: signed links, the preference center page and one-click unsubscribe."""
