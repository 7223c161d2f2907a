"""s55: statutory responses to police inspection reports (Police Act 1996, s55)."""

__version__ = "0.1.0"
