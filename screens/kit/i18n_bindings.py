"""Key bindings whose descriptions are translated when the node is created."""

from __future__ import annotations

import dataclasses

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
