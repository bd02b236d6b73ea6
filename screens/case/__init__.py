"""One case: its detail and the crew list to dispatch it."""
