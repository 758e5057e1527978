"""Security (issue 8): encrypted protection-status fields and TOTP secret, staff second factor,
anonymised counts of purged applications.

Existing plaintext values are encrypted in place with the app's current first key (and
decrypted again on downgrade), so run it with UMIT_ENCRYPTION_KEYS set as in production.

Revision ID: 0006_security
Revises: 0001
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_security'
down_revision = '0001'
branch_labels = None
depends_on = None

ENCRYPTED = [
    ('application', 'status_document_number'),
    ('application', 'status_document_issuer'),
    ('user', 'totp_secret'),
]


def _convert(direction):
    """Encrypt (or decrypt) every non-empty value of the encrypted columns in place."""
    from app.models.crypto_types import decrypt_text, encrypt_text

    change = encrypt_text if direction == 'encrypt' else decrypt_text
    bind = op.get_bind()
    for table_name, column in ENCRYPTED:
        table = sa.table(table_name, sa.column('id', sa.Integer), sa.column(column, sa.Text))
        rows = bind.execute(
            sa.select(table.c.id, table.c[column]).where(
                table.c[column].is_not(None), table.c[column] != ''
            )
        ).all()
        for row_id, value in rows:
            bind.execute(
                table.update().where(table.c.id == row_id).values({column: change(value)})
            )


def upgrade():
    # SQLite keeps the VARCHAR declarations (it never enforces lengths; see EncryptedString):
    # changing them would re-create `user` and `application`, which other rows refer to.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('user', schema=None) as batch_op:
        if not sqlite:
            batch_op.alter_column(
                'totp_secret', existing_type=sa.String(length=64), type_=sa.Text(),
                existing_nullable=True,
            )
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('totp_recovery_hashes', sa.JSON(), nullable=False, server_default='[]')
        )

    if not sqlite:
        with op.batch_alter_table('application', schema=None) as batch_op:
            batch_op.alter_column(
                'status_document_number', existing_type=sa.String(length=255), type_=sa.Text(),
                existing_nullable=False,
            )
            batch_op.alter_column(
                'status_document_issuer', existing_type=sa.String(length=255), type_=sa.Text(),
                existing_nullable=False,
            )

    op.create_table('purged_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('final_status', sa.String(length=32), nullable=False),
    sa.Column('gender', sa.String(length=4), nullable=False),
    sa.Column('country_of_origin', sa.String(length=2), nullable=False),
    sa.Column('protection_status', sa.String(length=32), nullable=False),
    sa.Column('education_route', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_purged_count_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purged_count')),
    sa.UniqueConstraint('cycle_id', 'final_status', 'gender', 'country_of_origin', 'protection_status', 'education_route', 'reason', name='uq_purged_count_traits')
    )
    with op.batch_alter_table('purged_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purged_count_cycle_id'), ['cycle_id'], unique=False)

    if not op.get_context().as_sql:
        _convert('encrypt')


def downgrade():
    if not op.get_context().as_sql:
        _convert('decrypt')

    with op.batch_alter_table('purged_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purged_count_cycle_id'))
    op.drop_table('purged_count')

    if op.get_bind().dialect.name == 'sqlite':
        # SQLite >= 3.35 drops a plain column in place; batch mode would re-create `user`.
        for column in ('totp_recovery_hashes', 'totp_last_step', 'totp_enabled_at'):
            op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
        return

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.alter_column(
            'status_document_issuer', existing_type=sa.Text(), type_=sa.String(length=255),
            existing_nullable=False,
        )
        batch_op.alter_column(
            'status_document_number', existing_type=sa.Text(), type_=sa.String(length=255),
            existing_nullable=False,
        )

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_recovery_hashes')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.alter_column(
            'totp_secret', existing_type=sa.Text(), type_=sa.String(length=64),
            existing_nullable=True,
        )
