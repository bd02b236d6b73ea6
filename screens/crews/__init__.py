"""The crews (F11): duty, position, reassignment."""
