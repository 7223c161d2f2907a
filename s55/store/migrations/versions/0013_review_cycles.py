"""Review cycles: an office asks each owner of open actions for an update before a board's
meeting (once, with one reminder and one escalation), and closes the cycle on the meeting day.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("office", sa.String(40), nullable=False),
        sa.Column("board", sa.String(200), nullable=False),
        sa.Column("meeting_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(320), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON, nullable=False),
    )
    op.create_index("ix_cycles_office_closed", "cycles", ["office", "closed_at"])
    op.create_table(
        "cycle_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cycle_id", sa.Integer, sa.ForeignKey("cycles.id"), nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("reminded_on", sa.Date, nullable=True),
        sa.Column("escalated_on", sa.Date, nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("cycle_id", "owner"),
    )


def downgrade() -> None:
    op.drop_table("cycle_requests")
    op.drop_index("ix_cycles_office_closed", "cycles")
    op.drop_table("cycles")
