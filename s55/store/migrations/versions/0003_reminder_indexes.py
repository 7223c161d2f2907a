"""Indexes for the reminder sweep's one query.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reviews_stage_last_day", "reviews", ["stage", "statutory_last_day"])
    op.create_index("ix_reviews_stage_due", "reviews", ["stage", "chief_officer_due"])


def downgrade() -> None:
    op.drop_index("ix_reviews_stage_due", "reviews")
    op.drop_index("ix_reviews_stage_last_day", "reviews")
