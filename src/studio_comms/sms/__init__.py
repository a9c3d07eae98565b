"""Text messages through a provider (Twilio's Messages API 2010-04-01) and what comes back:
delivery status callbacks and members' replies (STOP/START)."""
