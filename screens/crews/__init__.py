"""The crews (F12): duty, position, reassignment."""
