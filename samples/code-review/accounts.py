"""Account lookups for the admin console.

Run it to see a crafted name return every account:  python3 accounts.py
"""
import sqlite3


def connect():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, email TEXT, is_admin INTEGER)")
    db.executemany(
        "INSERT INTO accounts (name, email, is_admin) VALUES (?, ?, ?)",
        [("alice", "alice@example.com", 1), ("bob", "bob@example.com", 0), ("carol", "carol@example.com", 0)],
    )
    return db


def find_account(db, name):
    query = f"SELECT id, name, email FROM accounts WHERE name = '{name}'"
    return db.execute(query).fetchall()


def count_admins(db):
    return db.execute("SELECT COUNT(*) FROM accounts WHERE is_admin = 1").fetchone()[0]


def rename_account(db, account_id, new_name):
    db.execute("UPDATE accounts SET name = ? WHERE id = ?", (new_name, account_id))
    db.commit()


if __name__ == "__main__":
    db = connect()
    print("find_account('bob'):", find_account(db, "bob"))
    print("find_account(\"x' OR '1'='1\"):", find_account(db, "x' OR '1'='1"))
