"""The simulated chains: networks and their addresses' real shapes (networks, addresses),
transfers with confirmations that grow with the clock (transfers), and what else a chain does to
a transfer: reorgs, double spends, a transfer stuck unconfirmed (events).

May import: time, basics.
"""
