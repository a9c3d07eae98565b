"""studio-comms: customer communication service for fitness studios."""

__version__ = "0.1.0"
