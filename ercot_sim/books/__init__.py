"""Each participant's system of record, and where it differs from ERCOT's (data extract variances)."""
