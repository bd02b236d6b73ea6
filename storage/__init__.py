"""SQLAlchemy storage: tables, repositories, unit of work, engines, migrations."""
