"""Report writers: documents a verifier can read, in JSON, Excel, HTML and PDF.

:func:`zeropark.reports.inventory.write_inventory` writes an enterprise GHG
inventory (:class:`zeropark.accounting.inventory.Inventory`) with its three
framings, the reconciliation between them, and every line traced to its
activity record, factors and formula.
"""
