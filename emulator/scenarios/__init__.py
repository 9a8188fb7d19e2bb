"""Time, randomness and scripted behaviour: what makes the emulator deterministic."""
