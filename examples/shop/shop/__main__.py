"""python -m shop [--host 127.0.0.1] [--port 8000]: serve the shop until interrupted."""
import argparse

from . import Settings, Shop, ShopServer

parser = argparse.ArgumentParser(prog="shop")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8000)
args = parser.parse_args()
server = ShopServer(Shop(Settings.from_env()), args.host, args.port)
print(f"shop on {server.url}; webhooks at {server.url}/webhooks/cryptopayment", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass

