"""The notification kinds compute sends (registered at import, from navigation.py)."""

from cernai.core.notifications import register_kind

register_kind("compute.quota_80", "A project's allocation reached 80 % (sent once per arming).")
register_kind("compute.quota_100", "A project's allocation is used up; its Slurm account is blocked.")
register_kind("compute.storage_80", "A project's storage reached 80 % of its quota (sent once per arming).")
register_kind("compute.storage_100", "A project's storage fills its quota (sent once per arming).")
register_kind("compute.expiry_reminder", "Allocations ending in 30, 14 or 7 days (one message per day).")
register_kind("compute.request_decided", "An allocation request was approved or rejected.")
register_kind("compute.review_assigned", "A reviewer is asked to review an allocation request.")
