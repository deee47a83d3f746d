"""Sub-commands of ``sop-xl``; each module registers itself with ``sop_xl.cli.command``."""
