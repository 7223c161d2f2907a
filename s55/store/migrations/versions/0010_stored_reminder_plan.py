"""The reminder plan is stored: each review's next reminder date, indexed, so a sweep reads
only the reviews that have one due (or whose dates or stage changed since the last plan),
not every open review.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = ("draft", "awaiting chief officer", "awaiting local policing body", "awaiting sign-off",
        "signed off")


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("next_reminder_on", sa.Date, nullable=True))
        batch.create_index("ix_reviews_next_reminder_on", ["next_reminder_on"])
    # every open review is planned by the next sweep (2000-01-01: 'plan me', models.REPLAN)
    stages = ", ".join(f"'{s}'" for s in OPEN)
    op.execute(f"update reviews set next_reminder_on = '2000-01-01' where stage in ({stages})")


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_next_reminder_on")
        batch.drop_column("next_reminder_on")
