"""Taking a call: the intake form and its draft dialogs."""
