"""zeropark: energy and carbon accounting for near-zero-carbon industrial parks.

The package follows three layers: pure functions over arrays and frames
(``ingest.counters``, ``accounting``), small frozen objects (``model``,
``factors``) and pipelines that tie them to the store (``pipeline``, ``demo``).
"""

__version__ = "0.1.0"
