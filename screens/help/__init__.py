"""The keys of the current screen."""
