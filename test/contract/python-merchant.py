"""A merchant backend written without the kit, in Python's standard library only, to show the
contract suite checks any language over HTTP. It serves the same catalog as the TypeScript
in-memory merchant. DEFECT (an environment variable) breaks one thing, named as in
test/contract/defects.ts; without it the backend is correct.

Prints {"port": N} on stdout once it listens on 127.0.0.1 (PORT, default 0 for a free port).
"""

import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SECRET = os.environ["VIZOCHOK_WEBHOOK_SECRET"].encode()
DEFECT = os.environ.get("DEFECT", "")
BASE = "/api/vizochok"
STORES = {"store-1", "store-2"}
CATALOG = {
    "milk-001": {"price": 42.5, "promo_price": 38.9, "stock": 500},
    "milk-002": {"price": 39.9, "stock": 3},
    "milk-003": {"price": 44.9, "stock": 0},
    "bread-001": {"price": 24.9, "stock": 50},
}
ACTIONS = {"add", "remove", "update_quantity", "clear"}

lock = threading.Lock()
carts = {}  # (store, session) -> {sku: quantity}
answered = {}  # (path, timestamp, signature) -> answer, first arrival, answered at, expires at


def verify(handler, body):
    """True when the request carries exactly one valid signature inside the 300 s window."""
    if DEFECT == "first-of-repeated-headers-taken":
        signatures = [handler.headers.get("X-VIZOCHOK-Signature")]
        stamps = [handler.headers.get("X-VIZOCHOK-Timestamp")]
    else:
        signatures = handler.headers.get_all("X-VIZOCHOK-Signature") or []
        stamps = handler.headers.get_all("X-VIZOCHOK-Timestamp") or []
    if len(signatures) != 1 or len(stamps) != 1 or signatures[0] is None or stamps[0] is None:
        return False
    signature, stamp = signatures[0].strip(), stamps[0].strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 15:
        return False
    if abs(time.time() - int(stamp)) > 300:
        return False
    if not signature.startswith("sha256="):
        return False
    received = signature[len("sha256="):]
    expected = hmac.new(SECRET, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if DEFECT == "500-on-non-hex-signature":
        received_bytes = bytes.fromhex(received)  # raises on a non-hex digit: answered 500
        return hmac.compare_digest(received_bytes, bytes.fromhex(expected))
    if DEFECT == "signature-prefix-accepted":
        return len(received) > 0 and expected.startswith(received)
    return len(received) == 64 and hmac.compare_digest(received.lower(), expected)


def cart_of(store, session):
    return carts.setdefault((store, session), {})


def held_elsewhere(store, session, sku):
    if DEFECT == "stock-checked-per-cart":
        return 0
    return sum(cart.get(sku, 0) for key, cart in carts.items() if key[0] == store and key != (store, session))


def set_line(store, session, sku, quantity):
    offer = CATALOG.get(sku) if store in STORES else None
    if offer is None:
        return {"ok": False, "reason": "product_not_found"}
    available = offer["stock"] - held_elsewhere(store, session, sku)
    if available <= 0:
        return {"ok": False, "reason": "out_of_stock"}
    if quantity > available:
        return {"ok": False, "reason": "quantity_exceeded"}
    cart_of(store, session)[sku] = quantity
    return {"ok": True}


def is_quantity(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 and value != float("inf")


def cart_answer(request):
    """The cart webhook's answer; the caller holds the lock."""
    if not isinstance(request, dict):
        return {"ok": False, "reason": "missing_params"}
    action, store, session = request.get("action"), request.get("store_id"), request.get("session_id")
    if action not in ACTIONS or not isinstance(store, str) or not store or not isinstance(session, str) or not session:
        return {"ok": False, "reason": "missing_params"}
    if action == "clear":
        cart_of(store, session).clear()
        return {"ok": True}
    sku = request.get("sku")
    if not isinstance(sku, str) or not sku:
        return {"ok": False, "reason": "missing_sku" if action == "add" and "sku" not in request else "missing_params"}
    cart = cart_of(store, session)
    if action == "add":
        quantity = request.get("quantity", 1)
        if not is_quantity(quantity):
            return {"ok": False, "reason": "missing_params"}
        return set_line(store, session, sku, cart.get(sku, 0) + quantity)
    if action == "remove":
        if sku not in cart:
            return {"ok": False, "reason": "not_in_cart"}
        del cart[sku]
        return {"ok": True}
    quantity = request.get("quantity")
    if not is_quantity(quantity):
        return {"ok": False, "reason": "missing_params"}
    if sku not in cart:
        return {"ok": False, "reason": "not_in_cart"}
    return set_line(store, session, sku, quantity)


class Merchant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm holds the second.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        path = urlsplit(self.path).path
        body = self.read_body()
        if path not in (BASE + "/check-products", BASE + "/cart"):
            return self.answer(404, {"error": "not_found"})
        try:
            if not verify(self, body):
                return self.answer(401, {"error": "invalid signature"})
        except ValueError:
            return self.answer(500, {"error": "internal error"})
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if path == BASE + "/check-products":
            return self.products(request)
        # Byte-identical copies: one that arrived while the first was in flight, or 1 s or more
        # after the first arrived (a re-delivery), gets the recorded answer; one that arrived
        # after the answer and within 1 s is the shopper's new request and runs.
        key = (path, self.headers.get("X-VIZOCHOK-Timestamp"), self.headers.get("X-VIZOCHOK-Signature"))
        arrived = time.time()
        with lock:
            now = time.time()
            recorded = answered.get(key)
            if recorded is not None and recorded["expires"] > now:
                if arrived < recorded["answered"] or arrived - recorded["first"] >= 1:
                    return self.answer(200, recorded["answer"])
            result = cart_answer(request)
            first = recorded["first"] if recorded is not None and recorded["expires"] > now else arrived
            answered[key] = {"answer": result, "first": first, "answered": time.time(), "expires": now + 600}
        return self.answer(200, result)

    def products(self, request):
        skus = request.get("skus") if isinstance(request, dict) else None
        store = request.get("store_id") if isinstance(request, dict) else None
        if not isinstance(skus, list) or not all(isinstance(s, str) and s for s in skus) or not isinstance(store, str) or not store:
            return self.answer(400, {"error": "invalid_request"})
        offers = []
        for sku in skus:
            offer = CATALOG.get(sku) if store in STORES else None
            if offer is None:
                continue
            entry = {"sku": sku, "price": offer["price"], "in_stock": offer["stock"] > 0}
            if "promo_price" in offer:
                entry["promo_price"] = offer["promo_price"]
            offers.append(entry)
        self.answer(200, {"products": offers})

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != BASE + "/cart/items":
            return self.answer(404, {"error": "not_found"})
        if not verify(self, b""):
            return self.answer(401, {"error": "invalid signature"})
        query = parse_qs(url.query)
        store, session = query.get("store_id", [""])[0], query.get("session_id", [""])[0]
        if not store or not session:
            return self.answer(400, {"error": "invalid_request"})
        if DEFECT == "cart-get-ignores-adds":
            return self.answer(200, {"items": []})
        with lock:
            lines = list(carts.get((store, session), {}).items())
        items = [{"sku": sku, "name": sku, "price": CATALOG[sku]["price"], "quantity": quantity} for sku, quantity in lines]
        self.answer(200, {"items": items})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Merchant)
    server.daemon_threads = True
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
