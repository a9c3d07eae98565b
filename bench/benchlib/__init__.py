"""The pieces of ``make bench`` (bench/run.py, bench/webhooks.py, bench/profile.py)."""
