"""What every screen may use: the host Protocol, messages, formatters, translated keys, and
the one module that touches Textual's private API."""
