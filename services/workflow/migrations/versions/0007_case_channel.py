"""cases remember their filing channel (online share of the service-quality indicators)

Revision ID: i0006
Revises: i0005
Create Date: 2026-12-10 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'i0006'
down_revision = 'i0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=10), server_default='online', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('channel')
