"""Province-scale data generator and benchmarks (see bench/README.md). Not part of the application."""
