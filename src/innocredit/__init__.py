"""innocredit: lending to small technology enterprises on the strength of their technology."""

__version__ = "0.1.0"
