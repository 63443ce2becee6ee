"""Flight testing: a scripted certification of a market participant's system, graded step by
step (``ercot-sim flight run``).

``script`` reads a flight (TOML: a test bed and tracks of steps), ``compile`` makes the
scenario the simulator plays it from, ``run`` plays it against the system under test over
``ercot-sim serve``'s transports, ``grade`` judges every step from what crossed, and
``report`` writes the qualification report (JSON, text, HTML).
"""
