"""Growth: referral links, daily check-ins, the points ledger, membership tiers and coupons.

Nothing here can be farmed: every award has an idempotency key (`checkin:<user>:<day>`, `referral:<invitee>`,
`order:<id>`), every spend and every coupon use is a conditional update, so double taps, repeated updates and
concurrent requests change nothing twice and no balance goes negative.
"""

from store.growth.policy import GrowthPolicy, TierRule

__all__ = ["GrowthPolicy", "TierRule"]
