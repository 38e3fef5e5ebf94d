"""Request-scoped access to the engine, a database session and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from innocredit.web.config import Settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


@contextmanager
def session_scope(request: Request) -> Iterator[Session]:
    session = request.app.state.sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def db(request: Request) -> AsyncIterator[Session]:
    """A session per request: committed when the endpoint returns, rolled back on error (the commit runs in the
    thread pool; creating the session does no I/O, so a read-only request pays no extra thread hop)."""
    from starlette.concurrency import run_in_threadpool

    session = request.app.state.sessionmaker()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


# Every endpoint takes its session as ``session: Session = SESSION``. The session ends (commit, or rollback on an
# error) when the endpoint function returns and *before* the response is sent ("function" scope). With FastAPI's
# default "request" scope the commit would run after the client already had its answer: a browser following the
# redirect of a form could read the state from before the write, and a failed commit would reach no one.
SESSION = Depends(db, scope="function")
