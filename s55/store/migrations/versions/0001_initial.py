"""The first schema: reviews, versions, the ledger, the audit chain and its head.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("force", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("stage", sa.String(40), nullable=False, index=True),
        sa.Column("stage_seq", sa.Integer, nullable=False),
        sa.Column("report_published_on", sa.Date, nullable=False),
        sa.Column("statutory_last_day", sa.Date, index=True),
        sa.Column("chief_officer_due", sa.Date),
        sa.Column("current_version", sa.String(64), nullable=False),
        sa.Column("signed_off_version", sa.String(64)),
        sa.Column("unanswered_recommendations", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, index=True),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("review_id", "number"),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False, index=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(80), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("review_id", "version", "purpose", "recipient"),
    )
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("acting_for", sa.String(320), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_ref", "audit", ["ref"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_head", "audit", "ledger", "versions", "reviews"):
        op.drop_table(table)
