"""invitation form key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # Links made before have no key (NULL): a unique column holds any number of NULLs.
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invitation_form_key'), ['form_key'])


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invitation_form_key'), type_='unique')
        batch_op.drop_column('form_key')
