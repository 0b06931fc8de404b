"""ended staff session: signing out ends that session only

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

from app.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ended_staff_session',
        sa.Column('sid', sa.String(length=64), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sid', name=op.f('pk_ended_staff_session')),
    )
    with op.batch_alter_table('ended_staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ended_staff_session_ended_at'), ['ended_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ended_staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ended_staff_session_ended_at'))
    op.drop_table('ended_staff_session')
