import pytest
from sqlalchemy import text

from app.exceptions import NotFound
from app.operations.transitions import lock_request


def test_lock_request_takes_a_row_lock_for_the_change(db_session, make_request):
    pothole = make_request("POTHOLE")
    lock_request(db_session, pothole.id)
    # SELECT ... FOR UPDATE holds RowShareLock on the table for the rest of the transaction.
    modes = db_session.scalars(text(
        "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() "
        "AND relation = 'service_requests'::regclass")).all()
    assert "RowShareLock" in modes


def test_lock_request_of_a_malformed_id_is_404(db_session, jurisdiction):
    with pytest.raises(NotFound, match="12x"):
        lock_request(db_session, "12x")
