"""Stock reservations from several order-processing threads.

Run it to see more stock reserved than there was:  python3 inventory.py
"""
import threading
import time


class Inventory:
    def __init__(self, stock):
        self.stock = dict(stock)
        self.reserved = {}

    def reserve(self, sku, quantity):
        available = self.stock.get(sku, 0)
        if available < quantity:
            return False
        time.sleep(0.0001)  # stands in for the audit log written between the check and the update
        self.stock[sku] = available - quantity
        self.reserved[sku] = self.reserved.get(sku, 0) + quantity
        return True


def process_orders(inventory, orders):
    threads = [threading.Thread(target=inventory.reserve, args=order) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    inventory = Inventory({"widget": 20})
    process_orders(inventory, [("widget", 1)] * 40)
    print(f"stock was 20; reserved {inventory.reserved['widget']}, {inventory.stock['widget']} left")
