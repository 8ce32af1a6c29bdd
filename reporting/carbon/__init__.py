"""Carbon: CO2e avoided by utilization routes and emitted by transport, from the factor table (docs/carbon.md)."""
