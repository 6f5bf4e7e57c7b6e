"""``gather``: one ``Call`` joining several (sans-I/O: the sub-calls are settled by hand)."""

from __future__ import annotations

import pytest

from lmstudio._engine.call import Call, new_call
from lmstudio._engine.compose import gather
from lmstudio._engine.settle import Settle
from lmstudio.errors import LMStudioCancelledError, LMStudioServerError


def calls(n: int) -> tuple[list[Call[int]], list[Settle]]:
    """``n`` calls and their engine faces, to settle by hand."""
    pairs = [new_call(f"sub{i}") for i in range(n)]
    return [call for call, _ in pairs], [settle for _, settle in pairs]


def test_results_combine_in_order_whatever_order_they_finish() -> None:
    subs, settles = calls(3)
    joined = gather(subs, sum, "joined")
    settles[2].resolve(100)
    settles[0].resolve(1)
    assert not joined.done()
    settles[1].resolve(10)
    assert joined.result(0) == 111
    assert gather(subs, list, "again").result(0) == [1, 10, 100]


def test_no_calls_combines_at_once() -> None:
    assert gather([], len, "empty").result(0) == 0


def test_the_first_error_fails_it_and_cancels_the_others() -> None:
    subs, settles = calls(3)
    joined = gather(subs, sum, "joined")
    settles[0].resolve(1)
    settles[1].fail(LMStudioServerError("Boom"))
    with pytest.raises(LMStudioServerError, match="Boom"):
        joined.result(0)
    assert subs[2].cancelled()


def test_a_cancelled_sub_call_cancels_it() -> None:
    subs, _ = calls(2)
    joined = gather(subs, sum, "joined")
    subs[0].cancel()
    assert joined.cancelled() and subs[1].cancelled()


def test_cancelling_it_cancels_every_sub_call() -> None:
    subs, _ = calls(2)
    joined = gather(subs, sum, "joined")
    assert joined.cancel()
    assert all(sub.cancelled() for sub in subs)
    with pytest.raises(LMStudioCancelledError):
        joined.result(0)


def test_a_raising_combine_fails_it() -> None:
    subs, settles = calls(1)

    def combine(values: list[int]) -> int:
        raise ValueError("bad")

    joined = gather(subs, combine, "joined")
    settles[0].resolve(1)
    with pytest.raises(ValueError, match="bad"):
        joined.result(0)
