"""One prebuilt msgspec decoder per payload type, built on first use and cached."""

from __future__ import annotations

import threading
import typing
from typing import Any

import msgspec

__all__ = ["Decoder", "decode_items", "decoder_for", "packet_kinds"]

Decoder = msgspec.json.Decoder[Any]

_lock = threading.Lock()
_decoders: dict[Any, Decoder] = {}
_kinds: dict[Any, frozenset[str] | None] = {}


def decoder_for(tp: Any) -> Decoder:
    """The JSON decoder for ``tp`` (a generated type, union alias or ``Any``)."""
    try:
        return _decoders[tp]
    except KeyError:
        pass
    decoder: Decoder = msgspec.json.Decoder(Any if tp is None else tp)
    with _lock:
        return _decoders.setdefault(tp, decoder)


def packet_kinds(tp: Any) -> frozenset[str] | None:
    """The ``type`` tags a packet union knows, or ``None`` if ``tp`` is not tagged."""
    try:
        return _kinds[tp]
    except KeyError:
        pass
    members = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, _UnionType) else (tp,)
    tags: set[str] = set()
    for member in members:
        config = getattr(member, "__struct_config__", None)
        if config is None or not isinstance(config.tag, str):
            tags = set()
            break
        tags.add(config.tag)
    result = frozenset(tags) if tags else None
    with _lock:
        _kinds[tp] = result
    return result


_UnionType: Any = type(int | str)
_raw_list: msgspec.json.Decoder[list[msgspec.Raw]] = msgspec.json.Decoder(list[msgspec.Raw])


def decode_items(decoder: Decoder, data: Any) -> tuple[list[Any], int] | None:
    """A list result item by item: ``(the items that decode, how many did not)``.

    For a list whose whole decoding failed (an item of a kind this SDK does not know,
    such as a newer server's model domain): the rest of the list is still read.
    ``None`` if ``decoder`` does not decode a list, or ``data`` is not one.
    """
    tp = decoder.type
    if typing.get_origin(tp) is not list:
        return None
    try:
        raws = _raw_list.decode(data)
    except Exception:
        return None
    item = decoder_for(typing.get_args(tp)[0])
    items: list[Any] = []
    skipped = 0
    for raw in raws:
        try:
            items.append(item.decode(raw))
        except Exception:
            skipped += 1
    return items, skipped
