"""Scheduled work: market polls and housekeeping (APScheduler, in the leader process)."""
