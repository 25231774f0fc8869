# tests/scenarios
