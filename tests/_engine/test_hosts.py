"""``api_host`` edge cases (issue 15, point 10): TLS against a plain server, credentials
in the host, IPv6 brackets."""

from __future__ import annotations

import pytest

from lmstudio import Client, LMStudioValueError, LMStudioWebsocketError
from lmstudio.testing import FakeLMStudio


def test_wss_against_a_plain_server_says_the_tls_handshake_failed(
    fake_lmstudio: FakeLMStudio, ms: float
) -> None:
    with (
        Client(f"wss://{fake_lmstudio.api_host}") as client,
        pytest.raises(LMStudioWebsocketError) as caught,
    ):
        client.system.version().result(5000 * ms)
    message = str(caught.value)
    assert "TLS handshake" in message and "ws://" in message
    assert "is it running" not in message


@pytest.mark.parametrize(
    "host", ["ws://user:pw@localhost:1234", "user:pw@localhost:1234", "wss://pw@[::1]:1234"]
)
def test_credentials_in_the_host_are_refused_and_never_echoed(host: str) -> None:
    with pytest.raises(LMStudioValueError, match="credentials") as caught:
        Client(host)
    assert "pw" not in str(caught.value) and "user" not in str(caught.value)


def test_a_malformed_host_with_credentials_is_not_echoed() -> None:
    with pytest.raises(LMStudioValueError) as caught:
        Client("ws://admin:hunter2@localhost")
    assert "hunter2" not in str(caught.value)


def test_ipv6_keeps_its_brackets() -> None:
    client = Client("[::1]:1234")
    assert client.api_host == "[::1]:1234"
    assert "[::1]:1234" in repr(client)
    assert Client("ws://[fe80::1]:41343/").api_host == "[fe80::1]:41343"
    assert Client("127.0.0.1:1234").api_host == "127.0.0.1:1234"
