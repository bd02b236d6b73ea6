"""Finding a case by number, plate, phone or name."""
