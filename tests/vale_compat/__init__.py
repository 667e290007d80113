"""Vale compatibility harness: Vale's own Cucumber scenarios run against our engine."""
