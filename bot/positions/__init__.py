"""The position guard: a trader's own position, claimed once, watched every tick."""
