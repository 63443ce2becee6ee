"""What a run leaves: X12 files rendered from messages (:mod:`.emit`, :mod:`.templates`) and
written (:mod:`.outbox`), the SQLite trace (:mod:`.trace`), the run folder's lock and record (:mod:`.run_folder`), shard
traces merged (:mod:`.shard`), and the one-receiver feeds of ``ercot-sim generate``
(:mod:`.feed`)."""
