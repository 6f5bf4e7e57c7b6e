"""The I/O core: one asyncio loop in one daemon thread owns every socket and call.

Nothing here is imported by ``import lmstudio`` beyond what ``Call`` / ``Stream`` need;
asyncio and websockets load when the first connection opens.

Module map (each imports only the ones above it):

(Every default lives in ``lmstudio._constants``, shared aliases in ``lmstudio._types``.)

- ``wire``: the transport envelope (``rpcCall``, ``channelSend``...), payloads raw.
- ``callbacks``: user callbacks off the engine thread.
- ``settle``: the engine's face of a call (push, wake, resolve, fail, cancelled): the one
  interface through which the pool and the multiplexer settle ``Call`` / ``Stream``.
- ``call``: ``Call[T]``, a ``concurrent.futures.Future`` that is also awaitable, and its
  engine face (``new_call`` makes both).
- ``stream``: ``Stream[I, R]``, a ``Call[R]`` that is also iterable, and its engine face
  (``new_stream`` makes both).
- ``channel_state``: the channel lifecycle, all its rules in one table.
- ``handler``: ``ChannelHandler``, the sans-I/O state a feature plugs into a channel.
- ``decoders``: one cached msgspec decoder per payload type.
- ``boundary``: lower-layer errors become ``lmstudio`` errors here, and only here.
- ``multiplexer``: sans-I/O routing of calls and channels over one connection.
- ``identity``, ``discovery``: who the client is, where LM Studio listens.
- ``framing``: the text-frame fast path (pure functions) and its fallback check.
- ``connection``: one authenticated WebSocket (asyncio protocol, websockets sans-I/O).
- ``pool``: a client's connections, one per namespace (engine loop only).
- ``loop``: the engine thread: lazy start, sharing, exit and fork hooks.
- ``session``: what features call: ``Session.rpc`` / ``Session.channel``.
"""
