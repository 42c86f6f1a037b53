"""groupbuy: group buys, their participants, the leaders' commission ledger

Revision ID: 0003_groupbuy
Revises: 0002_orders
Create Date: 2026-11-25 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_groupbuy'
down_revision: str | None = '0002_orders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('group_buys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_thread_id', sa.BigInteger(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('base_price', sa.BigInteger(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('min_participants', sa.Integer(), nullable=False),
    sa.Column('max_participants', sa.Integer(), nullable=True),
    sa.Column('per_person_limit', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pickup_point', sa.String(length=128), nullable=True),
    sa.Column('joined', sa.Integer(), nullable=False),
    sa.Column('final_price', sa.BigInteger(), nullable=True),
    sa.Column('commission_bp', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('card_message_id', sa.BigInteger(), nullable=True),
    sa.Column('card_has_photo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('joined >= 0', name=op.f('ck_group_buys_joined_not_negative')),
    sa.CheckConstraint('max_participants IS NULL OR joined <= max_participants', name=op.f('ck_group_buys_joined_within_max')),
    sa.CheckConstraint('min_participants >= 1', name=op.f('ck_group_buys_min_positive')),
    sa.CheckConstraint('per_person_limit >= 1', name=op.f('ck_group_buys_limit_positive')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_group_buys_leader_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_group_buys_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_buys'))
    )
    with op.batch_alter_table('group_buys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_buys_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_buys_leader_id'), ['leader_id'], unique=False)
        batch_op.create_index('ix_group_buys_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('group_buy_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_buy_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('delivery_method', sa.String(length=16), nullable=False),
    sa.Column('pay_on_pickup', sa.Boolean(), nullable=False),
    sa.Column('contact_name', sa.String(length=128), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=512), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_group_buy_participants_quantity_positive')),
    sa.ForeignKeyConstraint(['group_buy_id'], ['group_buys.id'], name=op.f('fk_group_buy_participants_group_buy_id_group_buys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_group_buy_participants_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_buy_participants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_buy_participants')),
    sa.UniqueConstraint('group_buy_id', 'user_id', name='uq_group_buy_participants_buy_user')
    )
    with op.batch_alter_table('group_buy_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_buy_participants_group_buy_id'), ['group_buy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_buy_participants_user_id'), ['user_id'], unique=False)

    op.create_table('leader_commissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.BigInteger(), nullable=False),
    sa.Column('group_buy_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_buy_id'], ['group_buys.id'], name=op.f('fk_leader_commissions_group_buy_id_group_buys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_leader_commissions_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_commissions')),
    sa.UniqueConstraint('order_id', 'kind', name='uq_leader_commissions_order_kind')
    )
    with op.batch_alter_table('leader_commissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leader_commissions_group_buy_id'), ['group_buy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leader_commissions_leader_id'), ['leader_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leader_commissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leader_commissions_leader_id'))
        batch_op.drop_index(batch_op.f('ix_leader_commissions_group_buy_id'))

    op.drop_table('leader_commissions')
    with op.batch_alter_table('group_buy_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_buy_participants_user_id'))
        batch_op.drop_index(batch_op.f('ix_group_buy_participants_group_buy_id'))

    op.drop_table('group_buy_participants')
    with op.batch_alter_table('group_buys', schema=None) as batch_op:
        batch_op.drop_index('ix_group_buys_status_deadline')
        batch_op.drop_index(batch_op.f('ix_group_buys_leader_id'))
        batch_op.drop_index(batch_op.f('ix_group_buys_chat_id'))

    op.drop_table('group_buys')
