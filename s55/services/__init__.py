"""One short function per user command: check the role, call the domain, audit, commit."""
