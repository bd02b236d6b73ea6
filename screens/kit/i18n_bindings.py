"""Key bindings whose descriptions are translated when the node is created."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from callcenter.i18n import _


def translate_bindings(node: DOMNode) -> None:
    """Replace each binding's description by its translation (call in ``__init__``)."""
    translated: dict[str, list[Binding]] = {}
    for key, bindings in node._bindings.key_to_bindings.items():
        translated[key] = [
            dataclasses.replace(b, description=_(b.description) if b.description else "")
            for b in bindings
        ]
    node._bindings = BindingsMap.from_keys(translated)


def rebind(node: DOMNode, base: BindingsMap, change: Callable[[Binding], Binding]) -> None:
    """Give ``node`` the bindings of ``base``, each passed through ``change`` (which keys the
    footer shows, and as what); call ``node.refresh_bindings()`` after."""
    node._bindings = BindingsMap.from_keys(
        {key: [change(b) for b in bindings] for key, bindings in base.key_to_bindings.items()}
    )
