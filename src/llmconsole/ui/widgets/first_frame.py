"""Widgets the first frame draws instead of building (the prompt, the sidebar's filter), and the swap after it."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import MountError, Widget


async def replace_drawing(drawing: Widget, widget: Widget, mounted: Callable[[], None] | None = None) -> bool:
    """Mount ``widget`` where ``drawing`` is and remove the drawing, shown in one frame; ``mounted`` runs in
    between, with no await before it. False (nothing done) when the app quits first or meanwhile."""
    parent = drawing.parent
    if not isinstance(parent, Widget) or not drawing.is_attached:
        return False
    try:
        with drawing.app.batch_update():
            await parent.mount(widget, before=drawing)
            if mounted is not None:
                mounted()
            await drawing.remove()
    except MountError:
        return False
    return True
