"""The simulator as a live counterparty: transports over which a system under test exchanges
Texas SET files with the simulated market.

* :mod:`.edm`: NAESB EDM 1.6 (request fields, their checks, the synchronous receipt), no I/O;
* :mod:`.config`: the trading partners of an endpoint (TOML);
* :mod:`.store`: what an endpoint received and sent, durably (SQLite WAL beside the files);
* :mod:`.server`: the EDM receiver, an HTTP server (aiohttp);
* :mod:`.client`: posting files to a partner, with retries and exchange failures.
"""
