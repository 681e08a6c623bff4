"""Builds notification batches for users.

Run it to see one user's messages leak into another's batch:  python3 notifications.py
"""


def build_batch(user, messages=[]):
    for event in user["events"]:
        messages.append(f"{user['name']}: {event}")
    return messages


def schedule(users, channels={}):
    for user in users:
        channels.setdefault(user["channel"], []).append(user["name"])
    return channels


def summarize(batch, limit=5):
    shown = batch[:limit]
    hidden = len(batch) - len(shown)
    return shown + ([f"... and {hidden} more"] if hidden else [])


if __name__ == "__main__":
    alice = {"name": "alice", "events": ["invoice paid"], "channel": "email"}
    bob = {"name": "bob", "events": ["password changed"], "channel": "sms"}
    print("alice's batch:", build_batch(alice))
    print("bob's batch:  ", build_batch(bob))
