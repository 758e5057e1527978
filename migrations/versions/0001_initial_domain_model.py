"""Create the whole domain model of DESIGN §2 (users to audit log) with its constraints.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cycle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', 'allocating', 'finished', name='cyclestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('starts_on', sa.DateTime(timezone=True), nullable=True),
    sa.Column('application_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('application_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('appeal_window_days', sa.Integer(), nullable=False),
    sa.Column('acceptance_window_days', sa.Integer(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('score_formula', sa.JSON(), nullable=False),
    sa.Column('tiebreak_chain', sa.JSON(), nullable=False),
    sa.Column('eligibility_rules', sa.JSON(), nullable=False),
    sa.Column('lottery_seed', sa.BigInteger(), nullable=True),
    sa.Column('seed_committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rules_locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('total_quota', sa.Integer(), nullable=True),
    sa.Column('budget', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('university_caps', sa.JSON(), nullable=False),
    sa.Column('field_caps', sa.JSON(), nullable=False),
    sa.Column('minimums', sa.JSON(), nullable=False),
    sa.Column('retention_months', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('acceptance_window_days >= 1', name=op.f('ck_cycle_acceptance_window_ok')),
    sa.CheckConstraint('appeal_window_days >= 0', name=op.f('ck_cycle_appeal_window_ok')),
    sa.CheckConstraint('max_choices BETWEEN 1 AND 16', name=op.f('ck_cycle_max_choices_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle')),
    sa.UniqueConstraint('name', name=op.f('uq_cycle_name'))
    )
    op.create_table('university',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_ru', sa.String(length=200), nullable=False),
    sa.Column('name_kk', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('website', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_university')),
    sa.UniqueConstraint('code', name=op.f('uq_university_code'))
    )
    with op.batch_alter_table('university', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_university_city'), ['city'], unique=False)

    op.create_table('program',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('university_id', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_ru', sa.String(length=200), nullable=False),
    sa.Column('name_kk', sa.String(length=200), nullable=False),
    sa.Column('field_group', sa.Enum('EDU', 'ART', 'SOC', 'BUS', 'SCI', 'ICT', 'ENG', 'AGR', 'MED', 'SRV', name='fieldgroup', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('level', sa.Enum('bachelor', 'master', name='studylevel', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.ForeignKeyConstraint(['university_id'], ['university.id'], name=op.f('fk_program_university_id_university')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program')),
    sa.UniqueConstraint('code', name=op.f('uq_program_code'))
    )
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_field_group'), ['field_group'], unique=False)
        batch_op.create_index(batch_op.f('ix_program_university_id'), ['university_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('applicant', 'university', 'ministry', 'admin', name='userrole', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('active', 'locked', 'deactivated', name='userstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('university_id', sa.Integer(), nullable=True),
    sa.Column('preferred_language', sa.String(length=8), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(role = 'university') = (university_id IS NOT NULL)", name=op.f('ck_user_university_staff_has_university')),
    sa.ForeignKeyConstraint(['university_id'], ['university.id'], name=op.f('fk_user_university_id_university')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_university_id'), ['university_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('university_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_api_token_created_by_id_user')),
    sa.ForeignKeyConstraint(['university_id'], ['university.id'], name=op.f('fk_api_token_university_id_university')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_university_id'), ['university_id'], unique=False)

    op.create_table('application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'in_review', 'needs_info', 'eligible', 'ineligible', 'placed', 'not_placed', 'accepted', 'declined', 'expired', 'enrolled', 'no_show', 'withdrawn', name='applicationstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('public_code', sa.String(length=16), nullable=False),
    sa.Column('current_step', sa.String(length=32), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('precheck', sa.JSON(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('name_native', sa.String(length=200), nullable=False),
    sa.Column('name_latin', sa.String(length=200), nullable=False),
    sa.Column('name_cyrillic', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('gender', sa.Enum('F', 'M', 'X', name='gender', native_enum=False, create_constraint=True, length=4), nullable=True),
    sa.Column('country_of_origin', sa.String(length=2), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('protection_status', sa.Enum('refugee', 'asylum_seeker', name='protectionstatus', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('status_document_number', sa.String(length=255), nullable=False),
    sa.Column('status_document_issuer', sa.String(length=255), nullable=False),
    sa.Column('status_valid_until', sa.Date(), nullable=True),
    sa.Column('education_route', sa.Enum('kz_school', 'foreign_school', name='educationroute', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('school_name', sa.String(length=200), nullable=False),
    sa.Column('school_country', sa.String(length=2), nullable=False),
    sa.Column('graduation_year', sa.Integer(), nullable=True),
    sa.Column('competitive_score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('ineligible_reason', sa.Text(), nullable=False),
    sa.Column('needs_info_sections', sa.JSON(), nullable=False),
    sa.Column('needs_info_note', sa.Text(), nullable=False),
    sa.Column('declaration_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deletion_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('competitive_score IS NULL OR competitive_score >= 0', name=op.f('ck_application_score_ok')),
    sa.ForeignKeyConstraint(['applicant_id'], ['user.id'], name=op.f('fk_application_applicant_id_user')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_application_cycle_id_cycle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application')),
    sa.UniqueConstraint('applicant_id', 'cycle_id', name='uq_application_applicant_cycle'),
    sa.UniqueConstraint('public_code', name=op.f('uq_application_public_code'))
    )
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_status'), ['status'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_object_type'), ['object_type'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.Enum('email', 'portal', name='notificationchannel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'sent', 'failed', name='notificationstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], name=op.f('fk_notification_recipient_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_state'), ['state'], unique=False)

    op.create_table('program_quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('min_score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('cost', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('reserved', sa.JSON(), nullable=False),
    sa.Column('proposed_places', sa.Integer(), nullable=True),
    sa.CheckConstraint('places >= 0', name=op.f('ck_program_quota_places_not_negative')),
    sa.CheckConstraint('proposed_places IS NULL OR proposed_places >= 0', name=op.f('ck_program_quota_proposal_ok')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_program_quota_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_program_quota_program_id_program')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_quota')),
    sa.UniqueConstraint('cycle_id', 'program_id', name='uq_program_quota_cycle_program')
    )
    with op.batch_alter_table('program_quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_quota_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_program_quota_program_id'), ['program_id'], unique=False)

    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('main', 'supplementary', 'appeal', name='roundkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'solved', 'infeasible', 'failed', 'published', 'superseded', name='roundstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('progress_note', sa.String(length=200), nullable=False),
    sa.Column('input_snapshot', sa.Text(), nullable=True),
    sa.Column('input_sha256', sa.String(length=64), nullable=True),
    sa.Column('solver_version', sa.String(length=40), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('certificate', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_round_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_round_published_by_id_user')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_round_started_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
    sa.UniqueConstraint('cycle_id', 'number', name='uq_round_cycle_number')
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('uq_round_one_active_per_cycle', ['cycle_id'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))

    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Enum('eligibility', 'document', 'score', 'placement', name='appealsubject', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject_ref', sa.String(length=40), nullable=False),
    sa.Column('ground', sa.Enum('factual_error', 'document_wrongly_rejected', 'procedure_not_followed', 'new_evidence', name='appealground', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('submitted', 'in_review', 'upheld', 'partly_upheld', 'dismissed', 'withdrawn', name='appealstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decide_by_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declaration_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('correction', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_appeal_application_id_application')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user.id'], name=op.f('fk_appeal_assigned_to_id_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_appeal_decided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_state'), ['state'], unique=False)
        batch_op.create_index('uq_appeal_one_open_per_decision', ['application_id', 'subject', 'subject_ref'], unique=True, sqlite_where=sa.text("state IN ('submitted', 'in_review')"), postgresql_where=sa.text("state IN ('submitted', 'in_review')"))

    op.create_table('choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('program_score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_choice_rank_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_choice_application_id_application')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_choice_program_id_program')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_choice')),
    sa.UniqueConstraint('application_id', 'program_id', name='uq_choice_application_program'),
    sa.UniqueConstraint('application_id', 'rank', name='uq_choice_application_rank')
    )
    with op.batch_alter_table('choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_choice_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_choice_program_id'), ['program_id'], unique=False)

    op.create_table('placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('choice_rank', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('proposed', 'offered', 'accepted', 'declined', 'expired', 'enrolled', 'no_show', 'superseded', name='placementstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('offer_deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=40), nullable=False),
    sa.Column('from_appeal', sa.Boolean(), nullable=False),
    sa.Column('extra_place', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_placement_application_id_application')),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], name=op.f('fk_placement_program_id_program')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_placement_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement')),
    sa.UniqueConstraint('round_id', 'application_id', name='uq_placement_round_application')
    )
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_placement_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_placement_state'), ['state'], unique=False)

    op.create_table('score_component',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_score_component_application_id_application')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_component')),
    sa.UniqueConstraint('application_id', 'name', name='uq_score_component_application_name')
    )
    with op.batch_alter_table('score_component', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_component_application_id'), ['application_id'], unique=False)

    op.create_table('status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('draft', 'submitted', 'in_review', 'needs_info', 'eligible', 'ineligible', 'placed', 'not_placed', 'accepted', 'declined', 'expired', 'enrolled', 'no_show', 'withdrawn', name='from_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('to_status', sa.Enum('draft', 'submitted', 'in_review', 'needs_info', 'eligible', 'ineligible', 'placed', 'not_placed', 'accepted', 'declined', 'expired', 'enrolled', 'no_show', 'withdrawn', name='to_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_status_change_application_id_application')),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_status_change_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_change'))
    )
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_change_application_id'), ['application_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('status_proof', 'school_certificate', 'test_certificate', 'alternative_evidence', 'appeal_evidence', name='documentkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('evidence_type', sa.String(length=40), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=128), nullable=False),
    sa.Column('state', sa.Enum('uploaded', 'verified', 'rejected', 'provisionally_accepted', 'replaced', name='documentstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeal.id'], name=op.f('fk_document_appeal_id_appeal')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_document_application_id_application')),
    sa.ForeignKeyConstraint(['replaces_id'], ['document.id'], name=op.f('fk_document_replaces_id_document')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_document_uploaded_by_id_user')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user.id'], name=op.f('fk_document_verified_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_appeal_id'), ['appeal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_sha256'))
        batch_op.drop_index(batch_op.f('ix_document_application_id'))
        batch_op.drop_index(batch_op.f('ix_document_appeal_id'))

    op.drop_table('document')
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_change_application_id'))

    op.drop_table('status_change')
    with op.batch_alter_table('score_component', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_component_application_id'))

    op.drop_table('score_component')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_state'))
        batch_op.drop_index(batch_op.f('ix_placement_round_id'))
        batch_op.drop_index(batch_op.f('ix_placement_program_id'))
        batch_op.drop_index(batch_op.f('ix_placement_application_id'))

    op.drop_table('placement')
    with op.batch_alter_table('choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_choice_program_id'))
        batch_op.drop_index(batch_op.f('ix_choice_application_id'))

    op.drop_table('choice')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index('uq_appeal_one_open_per_decision', sqlite_where=sa.text("state IN ('submitted', 'in_review')"), postgresql_where=sa.text("state IN ('submitted', 'in_review')"))
        batch_op.drop_index(batch_op.f('ix_appeal_state'))
        batch_op.drop_index(batch_op.f('ix_appeal_application_id'))

    op.drop_table('appeal')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index('uq_round_one_active_per_cycle', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index(batch_op.f('ix_round_cycle_id'))

    op.drop_table('round')
    with op.batch_alter_table('program_quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_quota_program_id'))
        batch_op.drop_index(batch_op.f('ix_program_quota_cycle_id'))

    op.drop_table('program_quota')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_state'))
        batch_op.drop_index(batch_op.f('ix_notification_recipient_id'))

    op.drop_table('notification')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_object_type'))
        batch_op.drop_index(batch_op.f('ix_audit_event_object_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_status'))
        batch_op.drop_index(batch_op.f('ix_application_cycle_id'))
        batch_op.drop_index(batch_op.f('ix_application_applicant_id'))

    op.drop_table('application')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_university_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_university_id'))
        batch_op.drop_index(batch_op.f('ix_user_role'))

    op.drop_table('user')
    with op.batch_alter_table('program', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_university_id'))
        batch_op.drop_index(batch_op.f('ix_program_field_group'))

    op.drop_table('program')
    with op.batch_alter_table('university', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_university_city'))

    op.drop_table('university')
    op.drop_table('cycle')
