"""broadcast_photo: a broadcast may be a photo (broadcasts.photo_file_id, the text becomes its caption); its
product button uses the product_id column 0012 already had

Revision ID: 0018_broadcast_photo
Revises: 0017_digest
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_broadcast_photo"
down_revision: str | None = "0017_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        # Null: a text broadcast, as every existing one is.
        batch.add_column(sa.Column("photo_file_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("photo_file_id")
