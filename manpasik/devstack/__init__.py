"""`manpasik dev`: the whole system on one machine, embedded stores included, stopped cleanly on Ctrl-C."""
