"""Storage: the only package that touches SQLAlchemy."""
