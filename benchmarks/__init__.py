"""Benchmarks: scripts that print figures (see the Makefiles bench targets); never part of the test suite."""
