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
    # for two requests at once. A database where two requests once got through holds such
    # a pair: say which, rather than fail on the index with the database's own words.
    pairs = op.get_bind().execute(sa.text(
        "SELECT lower(username), count(*) FROM staff_user GROUP BY lower(username) "
        "HAVING count(*) > 1")).all()
    if pairs:
        names = ", ".join(name for name, _count in pairs)
        raise RuntimeError(
            f"staff_user: user names that differ only in case ({names}); rename or remove "
            "one of each pair (flask shell, or SQL), then run flask db upgrade again. "
            "用户名仅大小写不同的账号需要先改名或删除其中一个，再运行 flask db upgrade。")
    op.create_index('uq_staff_user_username_lower', 'staff_user',
                    [sa.text('lower(username)')], unique=True)


def downgrade():
    op.drop_index('uq_staff_user_username_lower', table_name='staff_user')
