"""Conformance suites: LM Studio's official clients judge the fake server."""
