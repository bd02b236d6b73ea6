"""callcenter: a terminal-first dispatch system for 24-hour roadside-rescue call centres."""

__version__ = "0.1.0"
