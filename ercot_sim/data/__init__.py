"""Data shipped with ercot_sim: the embedded default scenario (``default.toml``)."""
