"""Open311Flask's ensure_sync remembers, per function, what Flask inspects on every request,
and must still give each caller its own callable."""

import pytest

from app import Open311Flask


class View:
    def __init__(self, name: str) -> None:
        self.name = name

    def get(self) -> str:
        return self.name


def plain() -> str:
    return "plain"


async def coroutine() -> str:
    return "awaited"


@pytest.fixture
def app():
    Open311Flask._coroutine_functions.clear()
    return Open311Flask(__name__)


def test_a_plain_function_is_given_back_as_it_is_every_time(app):
    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(plain) is plain
    assert Open311Flask._coroutine_functions == {plain: False}


def test_each_bound_method_is_its_own_though_remembered_by_its_function(app):
    first, second = View("first").get, View("second").get
    assert app.ensure_sync(first)() == "first"
    assert app.ensure_sync(second)() == "second"
    assert Open311Flask._coroutine_functions == {View.get: False}


def test_a_coroutine_function_still_goes_to_flasks_async_wrapper(app, monkeypatch):
    wrapped = []
    monkeypatch.setattr(app, "async_to_sync", lambda func: wrapped.append(func) or plain)
    for _ in range(2):  # inspected the first time, remembered the second
        assert app.ensure_sync(coroutine) is plain
    assert wrapped == [coroutine, coroutine]
    assert Open311Flask._coroutine_functions == {coroutine: True}


def a_new_function(number: int):
    def function() -> int:
        return number
    return function


def test_what_it_remembers_is_bounded(app, monkeypatch):
    monkeypatch.setattr(Open311Flask, "MAX_REMEMBERED_FUNCTIONS", 3)
    for number in range(10):
        assert app.ensure_sync(a_new_function(number))() == number
    assert len(Open311Flask._coroutine_functions) <= 3
