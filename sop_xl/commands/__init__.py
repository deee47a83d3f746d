"""Sub-commands of ``sop-xl``: every module here registers itself with :func:`sop_xl.cli.command`."""
