"""Mail: composing messages from templates/email/, the outbox, and the transports."""
