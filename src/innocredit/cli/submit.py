"""Entry point for ``spark-submit``, which runs a Python file rather than a console script::

    spark-submit [options] .../site-packages/innocredit/cli/submit.py batch evaluate --engine spark ...

The arguments are those of the ``innocredit`` command line (``innocredit batch --help``).
"""

if __name__ == "__main__":
    from innocredit.cli import main

    main()
