"""Subscriptions: who follows which parcel, poll scheduling and change detection."""
