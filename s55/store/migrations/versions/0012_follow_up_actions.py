"""The follow-up of published answers: an action per recommendation, cause of concern and area
for improvement of a review whose copies have gone, and its dated updates.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("office", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("answer_kind", sa.String(40), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("owner", sa.String(320), nullable=False),
        sa.Column("target_on", sa.Date, nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("last_update_on", sa.Date, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("review_id", "kind", "number"),
    )
    op.create_index("ix_actions_office_status", "actions", ["office", "status"])
    op.create_index("ix_actions_owner", "actions", ["owner"])
    op.create_table(
        "action_updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_id", sa.Integer, sa.ForeignKey("actions.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(320), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
    )
    op.create_index("ix_action_updates_action_id", "action_updates", ["action_id"])


def downgrade() -> None:
    op.drop_index("ix_action_updates_action_id", "action_updates")
    op.drop_table("action_updates")
    op.drop_index("ix_actions_owner", "actions")
    op.drop_index("ix_actions_office_status", "actions")
    op.drop_table("actions")
