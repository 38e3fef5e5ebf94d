"""The application layer: one function per step a person takes, across areas.

Each use case takes a unit of work (a SQLAlchemy ``Session`` whose caller commits) and plain arguments, checks
what the domain rules say, writes through the storage repositories, and performs the reactions in other areas in
the same transaction. CLI verbs, API routes and pages call these functions; they never call storage directly.
"""
