"""Sign-in events: link requests are counted as well as failures, so both can be limited.

Replaces `signin_failures` (its rows only ever mattered for a 15-minute window).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signin_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),  # asked | failed
        sa.Column("key", sa.String(400), nullable=False),  # email:ADDRESS | client:IP
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_signin_events_key_at", "signin_events", ["kind", "key", "at"])
    op.drop_table("signin_failures")


def downgrade() -> None:
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(400), nullable=False, index=True),
        sa.Column("at", TZ, nullable=False),
    )
    op.drop_index("ix_signin_events_key_at", "signin_events")
    op.drop_table("signin_events")
