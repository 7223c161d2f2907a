"""The served route: durable route requests, served processes' heartbeats, outbox claims.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "route_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), index=True),
        sa.Column("cause", sa.String(80), nullable=False),
        sa.Column("requested_by", sa.String(320), nullable=False, server_default=""),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("not_before", TZ, nullable=False),
        sa.Column("run", sa.String(64), nullable=False, server_default=""),
        sa.Column("owner", sa.String(200), nullable=False, server_default=""),
        sa.Column("lease_until", TZ),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("finished_at", TZ),
        sa.Column("outcome", sa.JSON, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_route_requests_status", "route_requests", ["status", "not_before"])
    op.create_table(
        "served_processes",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("heartbeat_at", TZ, nullable=False),
        sa.Column("mode", sa.String(40), nullable=False),
        sa.Column("web_url", sa.String(300), nullable=False, server_default=""),
        sa.Column("prefect_api", sa.String(300), nullable=False, server_default=""),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("claimed_at", TZ))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
    op.drop_table("served_processes")
    op.drop_index("ix_route_requests_status", "route_requests")
    op.drop_table("route_requests")
