"""One review cycle for a board's meeting: the served process opens scheduled cycles by itself,
and two sweeps (or a sweep and a person) opening the same meeting's cycle at once must make one.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    twice = op.get_bind().execute(sa.text(
        "SELECT office, board, meeting_on FROM cycles GROUP BY office, board, meeting_on "
        "HAVING COUNT(*) > 1")).first()
    if twice is not None:
        raise RuntimeError(f"cycles: the {twice[1]} of office {twice[0]} has more than one "
                           f"cycle for its meeting on {twice[2]}; keep one (s55 cycles) and "
                           "upgrade again")
    op.create_index("ux_cycles_meeting", "cycles", ["office", "board", "meeting_on"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ux_cycles_meeting", "cycles")
