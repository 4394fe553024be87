"""Initial schema: companies, announcements, change history.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("fiscal_year_end_month", sa.Integer(), nullable=False),
        sa.Column("ticker", sa.String(length=20), nullable=True),
    )
    op.create_index("ix_company_name", "company", ["name"], unique=True)

    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("company_id", sa.Integer(), sa.ForeignKey("company.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("amount_low", sa.Float(), nullable=False),
        sa.Column("amount_high", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=120), nullable=True),
    )
    op.create_index("ix_announcement_company_id", "announcement", ["company_id"])
    op.create_index("ix_announcement_announced_on", "announcement", ["announced_on"])
    op.create_index("ix_announcement_updated_at", "announcement", ["updated_at"])
    op.create_index(
        "ix_announcement_company_period", "announcement", ["company_id", "scope", "kind", "period"]
    )
    op.create_index(
        "uq_announcement_live",
        "announcement",
        ["company_id", "period", "announced_on", "amount_low", "amount_high", "currency"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )

    op.create_table(
        "announcement_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "announcement_id", sa.Integer(), sa.ForeignKey("announcement.id"), nullable=False
        ),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("old_values", sa.JSON(), nullable=False),
        sa.Column("new_values", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_announcement_change_announcement_id", "announcement_change", ["announcement_id"]
    )


def downgrade() -> None:
    op.drop_table("announcement_change")
    op.drop_table("announcement")
    op.drop_table("company")
