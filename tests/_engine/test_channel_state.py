from __future__ import annotations

import pytest

from lmstudio._engine.channel_state import TERMINAL, ChannelEvent, ChannelState, transition

S = ChannelState
E = ChannelEvent


def test_transition_is_total() -> None:
    for state in ChannelState:
        for event in ChannelEvent:
            assert isinstance(transition(state, event), ChannelState)


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (S.OPEN, E.PACKET, S.STREAMING),
        (S.STREAMING, E.PACKET, S.STREAMING),
        (S.STREAMING, E.RESULT_CLOSE, S.FINISHED),
        (S.OPEN, E.RESULT_CLOSE, S.FINISHED),
        (S.STREAMING, E.EMPTY_CLOSE, S.FAILED),
        (S.STREAMING, E.ERROR, S.FAILED),
        (S.STREAMING, E.TIMEOUT, S.FAILED),
        (S.STREAMING, E.LOST, S.FAILED),
        (S.OPEN, E.CANCEL, S.CANCELLING),
        (S.STREAMING, E.CANCEL, S.CANCELLING),
        (S.STREAMING, E.ABANDON, S.CANCELLED),
        (S.CANCELLING, E.PACKET, S.CANCELLING),
        (S.CANCELLING, E.RESULT_CLOSE, S.FINISHED),
        (S.CANCELLING, E.EMPTY_CLOSE, S.CANCELLED),
        (S.CANCELLING, E.ERROR, S.CANCELLED),
        (S.CANCELLING, E.TIMEOUT, S.CANCELLED),
        (S.CANCELLING, E.LOST, S.CANCELLED),
        (S.CANCELLING, E.CANCEL, S.CANCELLING),
    ],
)
def test_rules(state: ChannelState, event: ChannelEvent, expected: ChannelState) -> None:
    assert transition(state, event) is expected


@pytest.mark.parametrize("state", [S.FINISHED, S.CANCELLED, S.FAILED])
def test_terminal_states_never_change(state: ChannelState) -> None:
    for event in ChannelEvent:
        assert transition(state, event) is state


def test_terminal_set() -> None:
    assert {S.FINISHED, S.CANCELLED, S.FAILED} == TERMINAL
