"""Storage adapter: SQLAlchemy 2 tables, repositories, unit of work, Alembic migrations.

The same code runs on SQLite (default) and PostgreSQL. Each area keeps its tables in
its own module (``feeds.py``, ``evaluation.py``, ...), all on ``base.metadata``.
"""
