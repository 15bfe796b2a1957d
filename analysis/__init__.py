"""Headless analysis shared by the CLI, studies, validation, benchmarks and the GUI: colours,
outcome measures, statistics, plotting for reports, a process-pool runner. Imports no Qt."""
