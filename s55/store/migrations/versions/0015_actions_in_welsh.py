"""An action's item, area and published answer in Welsh too (from a bilingual record), so that a
Welsh office's cycle report, messages and pages give them in Welsh. Actions opened before this
keep their one text; the Welsh pages show it as it is.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions") as table:
        for name in ("text_cy", "area_cy", "answer_cy"):
            table.add_column(sa.Column(name, sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("actions") as table:
        for name in ("text_cy", "area_cy", "answer_cy"):
            table.drop_column(name)
