"""proctoring."""
