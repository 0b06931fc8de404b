"""staff user names unique whatever their case

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # The accounts form already refused a name taken in another case; this holds it also
    # for two requests at once. (A database with such a pair would need one renamed first.)
    op.create_index('uq_staff_user_username_lower', 'staff_user',
                    [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index('uq_staff_user_username_lower', table_name='staff_user')
