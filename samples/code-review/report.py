"""Sales reports, sorted by a column the user picks in the web form.

Run it to see the sort parameter leak another table through the order of the rows:  python3 report.py
"""
import sqlite3


def connect():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE sales (region TEXT, amount INTEGER)")
    db.execute("CREATE TABLE secrets (value TEXT)")
    db.executemany("INSERT INTO sales VALUES (?, ?)", [("north", 120), ("south", 80), ("east", 200)])
    db.execute("INSERT INTO secrets VALUES ('api-key-123')")
    return db


def sales_report(db, sort_by="amount"):
    return db.execute(f"SELECT region, amount FROM sales ORDER BY {sort_by}").fetchall()


def total(db):
    return db.execute("SELECT SUM(amount) FROM sales").fetchone()[0]


if __name__ == "__main__":
    db = connect()
    print("sorted by region:", sales_report(db, "region"))
    probe = "(SELECT CASE WHEN substr(value, 1, 3) = 'api' THEN amount ELSE -amount END FROM secrets)"
    print("sorted by a probe of the secrets table:", sales_report(db, probe))
