"""Who the client says it is: an API token, or a fresh guest identity.

An API token ``sk-lm-<8 letters/digits>:<20 letters/digits>`` is only split into the
``clientIdentifier`` / ``clientPasskey`` of the authentication packet. Without one,
``LMSTUDIO_API_TOKEN`` then ``LM_API_TOKEN`` are read from the environment (empty
means unset), and otherwise the client invents ``guest:<uuid4>`` with a random
passkey (which scopes server-side resources, such as uploaded files, to the client).
Tokens and passkeys are never logged or shown in error messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .._constants import TOKEN_ENV_VARS
from ..errors import LMStudioValueError

__all__ = ["Identity", "resolve_identity"]

_TOKEN = re.compile(r"sk-lm-(?P<identifier>[A-Za-z0-9]{8}):(?P<passkey>[A-Za-z0-9]{20})")


class Identity:
    """The ``clientIdentifier`` / ``clientPasskey`` pair (the passkey is never shown)."""

    __slots__ = ("client_identifier", "client_passkey", "from_token")

    def __init__(
        self, client_identifier: str, client_passkey: str, from_token: bool = False
    ) -> None:
        self.client_identifier = client_identifier
        self.client_passkey = client_passkey
        self.from_token = from_token

    def __repr__(self) -> str:
        return f"Identity({self.client_identifier!r}, from_token={self.from_token})"


def resolve_identity(api_token: str | None, environ: Mapping[str, str] | None = None) -> Identity:
    """The identity for ``api_token``, else the environment's token, else a new guest."""
    source = "api_token"
    token = api_token.strip() if api_token is not None else ""
    if api_token is None:
        env = os.environ if environ is None else environ
        for name in TOKEN_ENV_VARS:
            token = env.get(name, "").strip()
            if token:
                source = name
                break
    if not token:
        import uuid

        return Identity(f"guest:{uuid.uuid4()}", uuid.uuid4().hex)
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise LMStudioValueError(
            f"malformed LM Studio API token in {source}: expected "
            "'sk-lm-<8 letters or digits>:<20 letters or digits>'"
        )
    return Identity(match["identifier"], match["passkey"], from_token=True)
