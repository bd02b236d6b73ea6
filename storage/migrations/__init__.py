"""Alembic migrations of the schema.

:data:`HEAD` names the newest revision, so that a start on a current schema can see that it
is current from one ``SELECT`` on ``alembic_version``, without loading Alembic and reading
every migration file (about 0.1 s and 10 MB). ``tests/integration/test_migrations.py``
checks that it matches the revisions in ``versions/``: a new migration must update it.
"""

HEAD = "0014"
