"""Webhook subscriptions and signed, retried deliveries of the outbox's events."""
