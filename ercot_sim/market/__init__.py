"""The simulated market: the engine (:mod:`.engine`) builds it from a scenario
(:mod:`.builder`): ERCOT, the TDSPs and the CRs (:mod:`.participants`) exchange
:class:`~.messages.Message` through the transport (:mod:`.transport`) on the market's clock
(:mod:`.simtime`), ERCOT keeping the registry (:mod:`.registry`)."""
