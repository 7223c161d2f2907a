"""References from a counter per prefix and year, taken in one statement, instead of
`count + 1` (which two transactions that do not block each other, as on PostgreSQL, could
both take).

Revision ID: 0009
Revises: 0008
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counters = op.create_table(
        "ref_counters",
        sa.Column("prefix", sa.String(20), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    # the counters start where the references already given stop ('S55-2022-0007': 7)
    last: dict[tuple[str, int], int] = {}
    for (ref,) in op.get_bind().execute(sa.text("select ref from reviews")):
        found = re.fullmatch(r"(.+)-(\d{4})-(\d+)", ref)
        if found:
            key = (found[1], int(found[2]))
            last[key] = max(last.get(key, 0), int(found[3]))
    if last:
        op.bulk_insert(counters, [{"prefix": p, "year": y, "last": n}
                                  for (p, y), n in sorted(last.items())])


def downgrade() -> None:
    op.drop_table("ref_counters")
