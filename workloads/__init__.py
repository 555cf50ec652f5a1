"""parbench's measuring engine: workloads, strategies, the sweep runner and its measuring process,
statistics, the results store and the exporters.

Importable without Textual (an import-linter contract keeps it so). Importing this package is
cheap: numpy is only loaded by the modules that measure.
"""
