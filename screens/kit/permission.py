"""Keys whose action the session's role may not take: shown so before anything is typed.

A screen mixes in :class:`RoleKeys` in front of its screen class. A key whose action
(:data:`screens.kit.actions.SCREEN_ACTIONS`) the member of staff may not take — an operator
and a supervisor's decision — is dimmed in the footer and left out of the palette, and
pressing it says at once who may, before any form opens. The services check again (and audit
the refusal): this only tells the operator early.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events

from callcenter.i18n import _
from callcenter.permissions import refusal
from screens.kit.actions import writes
from screens.kit.host import host

if TYPE_CHECKING:
    from textual.dom import DOMNode


def refused_text(node: DOMNode, action: str) -> str | None:
    """Why this session may not run screen action ``action`` (None: it may, as far as the
    role goes; the read-only board is the app's business)."""
    cc = host(node)
    if not getattr(cc, "connected", False):
        return None
    wanted = writes(action)
    if wanted is None:
        return None
    services = cc.services
    if services.read_only or services.may(wanted):
        return None
    staff = services.staff
    if staff is None:
        return None
    if not staff.active:
        return _("{user} is no longer active staff: ask an administrator.").format(
            user=staff.username
        )
    return refusal(staff.display_name, staff.role, wanted)


class RoleKeys:
    """Mixed in front of a ``Screen``: see the module's docstring."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if refused_text(self, action) is not None:  # type: ignore[arg-type]
            return None  # shown dimmed: the key says so when pressed (on_key)
        return super().check_action(action, parameters)  # type: ignore[misc]

    def on_key(self, event: events.Key) -> None:
        """A dimmed key pressed: say why at once (Textual would ignore it silently)."""
        screen: Any = self
        for binding in screen._bindings.key_to_bindings.get(event.key, ()):
            text = refused_text(screen, binding.action)
            if text is not None:
                event.stop()
                event.prevent_default()
                screen.notify(text, severity="error", markup=False)
                return
