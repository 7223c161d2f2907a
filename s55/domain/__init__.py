"""The pure domain: no SQLAlchemy, Prefect, Jinja2, aiosmtplib or FastAPI here."""
