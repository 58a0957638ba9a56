"""leadtui's benchmark suite: `python -m benchmarks [--sizes 1000,10000,50000] [--quick]`.

Builds lead databases through the real store API, measures the store, the command line,
the workstation and the blitz screen, and prints one table (also written to
benchmarks/RESULTS.md). Benchmarks are never timed unit tests.
"""
