"""The initial schema: PostGIS, the catalog, requests and their history, access, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:54:12.290474

"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    # Address autocomplete and fuzzy address_string matching.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('quota_per_hour', sa.Integer(), nullable=True),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('webhook_secret', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('jurisdictions',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('holiday_country', sa.String(length=8), nullable=True),
    sa.Column('holiday_subdivision', sa.String(length=16), nullable=True),
    sa.Column('holiday_extra', sa.ARRAY(sa.Date()), nullable=False),
    sa.Column('catalog_hash', sa.String(length=64), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jurisdictions'))
    )
    op.create_table('addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('address_id', sa.String(length=100), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('normalized', sa.Text(), nullable=False),
    sa.Column('zipcode', sa.String(length=16), nullable=True),
    sa.Column('location', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_addresses_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addresses')),
    sa.UniqueConstraint('jurisdiction_id', 'address_id', name=op.f('uq_addresses_jurisdiction_id'))
    )
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index('ix_addresses_location', ['location'], unique=False, postgresql_using='gist')
        batch_op.create_index('ix_addresses_normalized_trgm', ['normalized'], unique=False, postgresql_using='gin', postgresql_ops={'normalized': 'gin_trgm_ops'})

    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_departments_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('jurisdiction_id', 'code', name=op.f('uq_departments_jurisdiction_id'))
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_jurisdiction_id'), ['jurisdiction_id'], unique=False)

    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_districts_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('jurisdiction_id', 'code', name=op.f('uq_districts_jurisdiction_id'))
    )
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.create_index('ix_districts_geom', ['geom'], unique=False, postgresql_using='gist')

    op.create_table('state_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('closes_as', sa.String(length=16), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_state_codes_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_state_codes')),
    sa.UniqueConstraint('jurisdiction_id', 'code', name=op.f('uq_state_codes_jurisdiction_id'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('service_code', sa.String(length=100), nullable=False),
    sa.Column('service_name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('group', sa.Text(), nullable=False),
    sa.Column('keywords', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('sla_days', sa.Integer(), nullable=True),
    sa.Column('sla_calendar', sa.String(length=16), nullable=False),
    sa.Column('sla_explanation', sa.Text(), nullable=True),
    sa.Column('duplicate_radius_m', sa.Integer(), nullable=True),
    sa.Column('duplicate_window_days', sa.Integer(), nullable=True),
    sa.Column('expire_after_days', sa.Integer(), nullable=True),
    sa.Column('public_location', sa.String(length=16), nullable=False),
    sa.Column('restricted_to', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_services_department_id_departments')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_services_jurisdiction_id_jurisdictions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('jurisdiction_id', 'service_code', name=op.f('uq_services_jurisdiction_id'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_jurisdiction_id'), ['jurisdiction_id'], unique=False)

    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_staff_users_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_users_token_hash'))
    )
    op.create_table('service_attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('variable', sa.Boolean(), nullable=False),
    sa.Column('datatype', sa.String(length=32), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('datatype_description', sa.Text(), nullable=True),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_attributes_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_attributes')),
    sa.UniqueConstraint('service_id', 'code', name=op.f('uq_service_attributes_service_id'))
    )
    op.create_table('service_requests',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('detailed_status', sa.String(length=32), nullable=False),
    sa.Column('state_code', sa.String(length=64), nullable=True),
    sa.Column('status_notes', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('service_notice', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('address_id', sa.String(length=100), nullable=True),
    sa.Column('zipcode', sa.String(length=16), nullable=True),
    sa.Column('location', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('location_3857', Geometry(geometry_type='POINT', srid=3857, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_Transform(location::geometry, 3857)', persisted=True), nullable=True),
    sa.Column('media_urls', sa.ARRAY(sa.Text()), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('overdue_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duplicate_of_id', sa.BigInteger(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_reason', sa.String(length=32), nullable=True),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("to_tsvector('english', coalesce(description, ''))", persisted=True), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_service_requests_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_service_requests_department_id_departments')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_service_requests_district_id_districts')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['service_requests.id'], name=op.f('fk_service_requests_duplicate_of_id_service_requests')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_service_requests_jurisdiction_id_jurisdictions')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_requests_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_requests')),
    sa.UniqueConstraint('token', name=op.f('uq_service_requests_token'))
    )
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_requests_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_index('ix_service_requests_jurisdiction_requested', ['jurisdiction_id', 'requested_at', 'id'], unique=False)
        batch_op.create_index('ix_service_requests_jurisdiction_updated', ['jurisdiction_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_service_requests_location', ['location'], unique=False, postgresql_using='gist')
        batch_op.create_index('ix_service_requests_location_3857', ['location_3857'], unique=False, postgresql_using='gist')
        batch_op.create_index('ix_service_requests_open_location', ['location'], unique=False, postgresql_using='gist', postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_service_requests_search', ['search_vector'], unique=False, postgresql_using='gin')
        batch_op.create_index('ix_service_requests_service_status', ['service_id', 'status'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('service_request_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_idempotency_keys_api_key_id_api_keys')),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_idempotency_keys_service_request_id_service_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('api_key_id', 'key', name=op.f('uq_idempotency_keys_api_key_id'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=True),
    sa.Column('service_request_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_outbox_jurisdiction_id_jurisdictions')),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_outbox_service_request_id_service_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['available_at'], unique=False, postgresql_where=sa.text('delivered_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_outbox_service_request_id'), ['service_request_id'], unique=False)

    op.create_table('reporters',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_request_id', sa.BigInteger(), nullable=False),
    sa.Column('first_name', sa.Text(), nullable=True),
    sa.Column('last_name', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('device_id', sa.Text(), nullable=True),
    sa.Column('account_id', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_reporters_service_request_id_service_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporters')),
    sa.UniqueConstraint('service_request_id', name=op.f('uq_reporters_service_request_id'))
    )
    op.create_table('request_updates',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=200), nullable=False),
    sa.Column('service_request_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=True),
    sa.Column('state_code', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], name=op.f('fk_request_updates_jurisdiction_id_jurisdictions')),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_request_updates_service_request_id_service_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_updates'))
    )
    with op.batch_alter_table('request_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_updates_service_request_id'), ['service_request_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_request_id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_subscriptions_service_request_id_service_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('service_request_id', 'email', name=op.f('uq_subscriptions_service_request_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_subscriptions_token_hash'))
    )
    op.create_table('surveys',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_request_id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_surveys_service_request_id_service_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('service_request_id', name=op.f('uq_surveys_service_request_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_surveys_token_hash'))
    )
    op.create_table('votes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_request_id', sa.BigInteger(), nullable=False),
    sa.Column('voter_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_votes_service_request_id_service_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
    sa.UniqueConstraint('service_request_id', 'voter_hash', name=op.f('uq_votes_service_request_id'))
    )


def downgrade():
    op.drop_table('votes')
    op.drop_table('surveys')
    op.drop_table('subscriptions')
    with op.batch_alter_table('request_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_updates_service_request_id'))

    op.drop_table('request_updates')
    op.drop_table('reporters')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_service_request_id'))
        batch_op.drop_index('ix_outbox_pending', postgresql_where=sa.text('delivered_at IS NULL'))

    op.drop_table('outbox')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_service_requests_service_status')
        batch_op.drop_index('ix_service_requests_search', postgresql_using='gin')
        batch_op.drop_index('ix_service_requests_open_location', postgresql_using='gist', postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_service_requests_location_3857', postgresql_using='gist')
        batch_op.drop_index('ix_service_requests_location', postgresql_using='gist')
        batch_op.drop_index('ix_service_requests_jurisdiction_updated')
        batch_op.drop_index('ix_service_requests_jurisdiction_requested')
        batch_op.drop_index(batch_op.f('ix_service_requests_duplicate_of_id'))

    op.drop_table('service_requests')
    op.drop_table('service_attributes')
    op.drop_table('staff_users')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_jurisdiction_id'))

    op.drop_table('services')
    op.drop_table('state_codes')
    with op.batch_alter_table('districts', schema=None) as batch_op:
        batch_op.drop_index('ix_districts_geom', postgresql_using='gist')

    op.drop_table('districts')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departments_jurisdiction_id'))

    op.drop_table('departments')
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_index('ix_addresses_normalized_trgm', postgresql_using='gin', postgresql_ops={'normalized': 'gin_trgm_ops'})
        batch_op.drop_index('ix_addresses_location', postgresql_using='gist')

    op.drop_table('addresses')
    op.drop_table('jurisdictions')
    op.drop_table('api_keys')
