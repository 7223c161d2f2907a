"""Many offices in one database: each review belongs to an office (a local policing body),
named by its force's id (config/forces.csv). People, templates, reminder plans and settings
are the office's config (office.yaml, or its folder under S55_OFFICES_DIR).

Reviews made before are the office's that serves their force, else the one office of the
database that made them (s55 hands both to the migration).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import context, op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    attributes = context.config.attributes
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("office", sa.String(40), nullable=True))
    reviews = sa.table("reviews", sa.column("office", sa.String), sa.column("force", sa.String))
    for force, office in (attributes.get("offices_by_force") or {}).items():
        op.execute(reviews.update().where(reviews.c.force == force).values(office=office))
    default = attributes.get("default_office")
    if default:
        op.execute(reviews.update().where(reviews.c.office.is_(None)).values(office=default))
    unplaced = op.get_bind().execute(sa.select(reviews.c.force).distinct()
                                     .where(reviews.c.office.is_(None))).scalars().all()
    if unplaced:
        raise RuntimeError("no office of this service serves the force of reviews already in "
                           f"the database: {', '.join(unplaced)}; add its office, then upgrade")
    with op.batch_alter_table("reviews") as batch:
        batch.alter_column("office", existing_type=sa.String(40), nullable=False)
        batch.create_index("ix_reviews_office_stage", ["office", "stage"])


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_office_stage")
        batch.drop_column("office")
