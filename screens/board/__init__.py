"""The live board (the home screen) and the supervisor's filtered board."""
