"""The simulated chains: networks and their addresses' real shapes, transfers, confirmations that
grow with the clock.

May import: time, basics.
"""
