"""Api keys are remembered per process (app/operations/access.py); a change made in this
process must not wait for the cache to expire."""

from datetime import UTC, datetime

from app.operations.access import create_api_key, find_api_key


def test_a_key_revoked_in_this_process_is_refused_at_once(db_session):
    key, api_key = create_api_key(db_session, "revoked app")
    assert find_api_key(db_session, key).id == api_key.id  # now remembered
    api_key.revoked_at = datetime.now(UTC)
    db_session.flush()
    assert find_api_key(db_session, key) is None


def test_a_new_quota_is_read_at_once(db_session):
    key, api_key = create_api_key(db_session, "busy app", quota_per_hour=10)
    assert find_api_key(db_session, key).quota_per_hour == 10
    api_key.quota_per_hour = 500
    db_session.flush()
    assert find_api_key(db_session, key).quota_per_hour == 500


def test_an_unknown_key_is_refused(db_session):
    assert find_api_key(db_session, "not a key") is None
    assert find_api_key(db_session, None) is None
