"""The market feed: the venues' polled data as this replica stores it (polls, streams, backfill)
and the one freshness rule alerts, the guard and replies share. Core: jobs and the alert
pipeline use it directly; the use cases build on it."""
