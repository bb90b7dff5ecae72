"""Time: the World's clock (virtual or realtime, the only "now"), the scheduler that runs due
events in (time, seq) order, and human durations ("90s", "1h30m").

May import: basics.
"""
