"""What every room may use: typed errors (each provider renders them in its own shape), bounded
stores and the retention settings, YAML read with line numbers, and where the shipped contracts
and scenarios live.

May import: nothing in core.
"""
