"""Who someone is and what they may act for: passwords, logins with a second factor, sessions,
units claimed once and proven, invitations, and the officers' unit verification.

Every write is a use case here, run on an `IdentityStore` unit of work (ports.py) that `store/identity.py`
implements; hashing, SMS sending and the clock come in as arguments.
"""
