"""Terminal progress bars for model loading and downloads, with no code from the user.

``lms.llm(key, show_progress=True)`` (and ``show_progress=True`` on ``model()``,
``load_new_instance()`` and ``download()``), or a ready callback:
``on_load_progress=lms.progress_bar("Loading")``. With ``tqdm`` installed (the optional
``progress`` extra), the bar is tqdm's (``tqdm.auto``: it works in Jupyter too); without
it, a plain one-line bar on standard error. Like every callback, the bar is drawn where
the call is consumed (the thread blocking in ``.result()``, or the awaiting loop).
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from .._exports import publish
from ..errors import LMStudioValueError

__all__ = ["ProgressBar", "progress_bar"]

_WIDTH = 30  # characters of the plain bar
_MIN_INTERVAL = 0.1  # seconds between redraws of the plain bar (the end is always drawn)


def progress_bar(
    description: str = "", *, file: IO[str] | None = None, tqdm: bool | None = None
) -> ProgressBar:
    """A progress callback that draws a terminal progress bar.

    ``model = lms.llm("qwen2.5-7b-instruct", on_load_progress=lms.progress_bar()).result()``

    Args:
        description: text before the bar (``"Loading qwen2.5-7b-instruct"``).
        file: where to draw; ``None`` (default): standard error.
        tqdm: ``None`` (default): tqdm's bar if tqdm is installed, else the plain one;
            ``False``: the plain bar; ``True``: tqdm's (``LMStudioValueError`` without it).

    Returns:
        A :class:`ProgressBar`: call it with the progress (a fraction from 0.0 to 1.0, or a
        download's ``DownloadProgressUpdate``); it closes itself at 1.0.
    """
    return ProgressBar(description, file=file, tqdm=tqdm)


class ProgressBar:
    """A progress callback drawing a bar: tqdm's if installed, else a plain one-line bar."""

    def __init__(
        self, description: str = "", *, file: IO[str] | None = None, tqdm: bool | None = None
    ) -> None:
        self.description = description
        self._file = file
        self._tqdm_class = None if tqdm is False else _tqdm_class()
        if tqdm is True and self._tqdm_class is None:
            raise LMStudioValueError("tqdm is not installed (pip install tqdm)")
        self._tqdm: Any = None
        self._last_draw = 0.0
        self._done = False
        self._fraction = 0.0

    def __call__(self, progress: object) -> None:
        """Report ``progress``: a fraction (0.0 to 1.0), or an update with byte counts."""
        if self._done:
            return
        fraction = _fraction(progress)
        if fraction is None:
            return
        self._fraction = max(self._fraction, min(1.0, fraction))
        if self._tqdm is None and self._tqdm_class is not None:
            self._tqdm = self._tqdm_class(
                total=1000, desc=self.description or None, file=self._file, leave=True
            )
        if self._tqdm is not None:
            self._tqdm.update(round(self._fraction * 1000) - self._tqdm.n)
        else:
            self._draw_plain()
        if self._fraction >= 1.0:
            self.close()

    def close(self) -> None:
        """End the bar (at 1.0 it ends by itself)."""
        if self._done:
            return
        self._done = True
        if self._tqdm is not None:
            self._tqdm.close()
        else:
            out = self._file if self._file is not None else sys.stderr
            self._draw_plain(force=True)
            out.write("\n")
            out.flush()

    def _draw_plain(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self._fraction < 1.0 and now - self._last_draw < _MIN_INTERVAL:
            return
        self._last_draw = now
        out = self._file if self._file is not None else sys.stderr
        filled = round(self._fraction * _WIDTH)
        label = f"{self.description} " if self.description else ""
        bar = "#" * filled + "." * (_WIDTH - filled)
        out.write(f"\r{label}[{bar}] {self._fraction:4.0%}")
        out.flush()


def _fraction(progress: object) -> float | None:
    if isinstance(progress, bool):
        return None
    if isinstance(progress, int | float):
        return float(progress)
    done = getattr(progress, "downloaded_bytes", None)
    total = getattr(progress, "total_bytes", None)
    if isinstance(done, int) and isinstance(total, int) and total > 0:
        return done / total
    return None


_TQDM: Any = ...


def _tqdm_class() -> Any:
    """``tqdm.auto.tqdm`` if tqdm is installed, else ``None`` (looked up once)."""
    global _TQDM
    if _TQDM is ...:
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            tqdm = None
        _TQDM = tqdm
    return _TQDM


publish(__name__, globals())
