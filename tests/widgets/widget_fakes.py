"""Helpers to fake the front end of a widget: update messages in, recorded messages out."""

from __future__ import annotations

from typing import Any

import pytest


class RecordingComm:
    """Stands in for a widget comm; keeps what Python sends."""

    kernel = object()  # ipywidgets sends nothing when comm.kernel is None
    comm_id = "fake-comm"

    def __init__(self) -> None:
        self.sent: list[tuple[dict, list]] = []

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        self.sent.append((data, list(buffers or [])))

    def on_msg(self, *_a: Any) -> None:
        pass

    def on_close(self, *_a: Any) -> None:
        pass

    def close(self, *_a: Any, **_k: Any) -> None:
        pass

    def updates(self) -> list[dict]:
        """States of the 'update' messages sent so far (buffers put back in place)."""
        from ipywidgets.widgets.widget import _put_buffers

        out = []
        for data, buffers in self.sent:
            if data and data.get("method") == "update":
                state = dict(data["state"])
                _put_buffers(state, data.get("buffer_paths", []), buffers)
                out.append(state)
        return out


def front_end_update(widget: Any, state: dict) -> None:
    """Deliver an 'update' message the way the page does: binary values split into buffers."""
    from ipywidgets.widgets.widget import _remove_buffers

    st, paths, buffers = _remove_buffers(state)
    widget._handle_msg(
        {"content": {"data": {"method": "update", "state": st, "buffer_paths": paths}},
         "buffers": [memoryview(b) for b in buffers]}
    )




def attach(widget: Any, comm: RecordingComm) -> RecordingComm:
    widget.comm = comm
    return comm


def front_end_custom(widget: Any, content: dict, buffers: list[bytes] | None = None) -> None:
    """Deliver a custom message (``model.send(content, callbacks, buffers)`` in the page) with binary buffers."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                        "buffers": [memoryview(b) for b in buffers or []]})


def custom_sent(comm: RecordingComm) -> list[dict]:
    """Contents of the custom messages Python sent to the page."""
    return [data["content"] for data, _b in comm.sent if data and data.get("method") == "custom"]
