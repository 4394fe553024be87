"""Provenance, methodology and shared-use columns; filing metrics.

Announcements gain how firm a figure is (qualifier), what the source is and who stands
behind it (source_type, evidence), an explicit ``supersedes`` link, a sync key and a
version for optimistic concurrency. Companies gain their SEC CIK, the partners of a
joint venture, and a normalized unique name key (look-alike spellings are one company).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from tracker.names import company_key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("company") as batch:
        batch.add_column(sa.Column("name_key", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("cik", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("venture_partners", sa.String(length=500), nullable=False, server_default="")
        )
    conn = op.get_bind()
    company = sa.table(
        "company",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
    )
    for cid, name in conn.execute(sa.select(company.c.id, company.c.name)).all():
        conn.execute(company.update().where(company.c.id == cid).values(name_key=company_key(name)))
    with op.batch_alter_table("company") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=120), nullable=False)
        batch.alter_column("venture_partners", server_default=None)
        batch.create_unique_constraint("uq_company_name_key", ["name_key"])
        batch.drop_index("ix_company_name")
        batch.create_index("ix_company_name", ["name"], unique=False)

    with op.batch_alter_table("announcement") as batch:
        batch.add_column(
            sa.Column("qualifier", sa.String(length=16), nullable=False, server_default="exact")
        )
        batch.add_column(
            sa.Column(
                "source_type",
                sa.String(length=24),
                nullable=False,
                server_default="company_release",
            )
        )
        batch.add_column(
            sa.Column("evidence", sa.String(length=16), nullable=False, server_default="company")
        )
        batch.add_column(sa.Column("supersedes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("external_key", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.alter_column("created_by", existing_type=sa.String(120), type_=sa.String(200))
        batch.alter_column("deleted_by", existing_type=sa.String(120), type_=sa.String(200))
        batch.create_foreign_key(
            "fk_announcement_supersedes", "announcement", ["supersedes"], ["id"]
        )
        batch.create_unique_constraint("uq_announcement_external_key", ["external_key"])
    with op.batch_alter_table("announcement") as batch:
        for column in ("qualifier", "source_type", "evidence", "version"):
            batch.alter_column(column, server_default=None)
    with op.batch_alter_table("announcement_change") as batch:
        batch.alter_column("changed_by", existing_type=sa.String(120), type_=sa.String(200))

    op.create_table(
        "filing_metric",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("company.id"), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value_usd_bn", sa.Float(), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.UniqueConstraint("company_id", "metric", "period_start", "period_end"),
    )
    op.create_index("ix_filing_metric_company_id", "filing_metric", ["company_id"])


def downgrade() -> None:
    op.drop_index("ix_filing_metric_company_id", "filing_metric")
    op.drop_table("filing_metric")
    with op.batch_alter_table("announcement") as batch:
        batch.drop_constraint("uq_announcement_external_key", type_="unique")
        batch.drop_constraint("fk_announcement_supersedes", type_="foreignkey")
        for column in (
            "version",
            "external_key",
            "supersedes",
            "evidence",
            "source_type",
            "qualifier",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("company") as batch:
        batch.drop_constraint("uq_company_name_key", type_="unique")
        batch.drop_index("ix_company_name")
        batch.create_index("ix_company_name", ["name"], unique=True)
        for column in ("venture_partners", "cik", "name_key"):
            batch.drop_column(column)
