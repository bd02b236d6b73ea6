"""Textual screens and widgets. Screens call services; they never touch SQLAlchemy."""
