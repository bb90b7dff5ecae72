// A merchant's client as public SDKs are written, in Node: the base URL is a host root, every call
// builds an absolute path (`new URL("/v2/payment", base)`), bodies are JSON.stringify of objects in
// insertion order, errors are caught by `res.ok` alone, and the order's status is read by polling.
// Written for this suite from the providers' published formulas (node:crypto), not from any SDK.
//
//   node dropin.mjs PROVIDER BASE RECEIVER_URL
//
// BASE is the provider's own origin (e.g. http://127.0.0.1:PORT); the sandbox's admin API is
// reached on the same origin (/_sandbox/...) to play the customer and move the clock.
// Prints one JSON line: {"provider", "id", "mark" (what its webhooks name, when not the id), "status",
// "links": [...], "calls": N}; exit 1 on failure.
import { createHmac, randomInt } from "node:crypto";

const [provider, base, receiver] = process.argv.slice(2);
const url = (path) => new URL(path, base);
let calls = 0;

async function request(method, path, { body, headers = {} } = {}) {
  calls += 1;
  const res = await fetch(url(path), { method, body, headers: { ...(body ? { "Content-Type": "application/json" } : {}), ...headers } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

const admin = (method, path, payload) => request(method, path, { body: payload === undefined ? undefined : JSON.stringify(payload) });

async function pollUntil(read, done, step = "1m", tries = 120) {
  for (let i = 0; i < tries; i++) {
    const seen = await read();
    if (done(seen)) return seen;
    await admin("POST", "/_sandbox/clock/advance", { by: step });   // virtual time, no waiting
  }
  throw new Error("status never reached its final value");
}

const hex = (alg, key, text) => createHmac(alg, key).update(text).digest("hex");

const clients = {
  async cryptopayment() {
    const auth = { Authorization: "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d" };
    await admin("PATCH", "/_sandbox/providers/cryptopayment/merchant", { webhook_url: receiver });
    const created = await request("POST", "/api/v1/invoices", { headers: auth,
      body: JSON.stringify({ network: "trc20", amount_usd: 50, order_id: "ORD-DROPIN" }) });
    const id = created.invoice.id;
    await admin("POST", "/_sandbox/simulate/cryptopayment/pay", { invoice: id });
    const seen = await pollUntil(() => request("GET", `/api/v1/invoices/${id}`, { headers: auth }),
                                 (r) => r.invoice.status === "confirmed");
    return { id, status: seen.invoice.status, links: [created.checkout_url] };
  },

  async alt5pay() {
    const apikey = "1238d6999a60383a1d641db885decbc1fe8e9953";
    const secret = "5f5eee0a43c72a165c5eef6a37155e6ce581ed31b70037d03239bc0dd84330ed";
    const merchant = "62456d5a-b18d-8820-01a8-63cba95fca3d";
    const signed = (fields) => {   // bodyString: the body's own keys, k=v joined by &
      const bodyString = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join("&");
      const auth = Buffer.from(`${apikey}:${hex("sha512", secret, bodyString)}`).toString("base64");
      return { body: JSON.stringify(fields), headers: { apikey, merchant_id: merchant, authentication: auth } };
    };
    const fresh = () => ({ timestamp: Math.floor(Date.now() / 1000), nonce: randomInt(1, 2 ** 31) });
    const ref = "ORD-DROPIN";
    const created = await request("POST", "/usr/wallet/btc/create",
      signed({ ref_id: ref, url: receiver, ...fresh(), currency: "USD" }));
    const address = created.data.address;
    await admin("POST", "/_sandbox/simulate/alt5pay/pay", { address, fiat: 60 });
    const seen = await pollUntil(() => request("POST", "/usr/wallet/transactionsbyref", signed({ ref_id: ref, ...fresh() })),
                                 (r) => r.data && r.data.status === "Paid", "10m");
    return { id: address, mark: ref, status: seen.data.status, links: [] };   // an IPN names the ref_id
  },

  async alchemypay() {
    const appId = "sbx7alc0d3k9q2mp", secret = "T5wQ8nY2rK4hS6jD";
    const sorted = (obj) => JSON.stringify(Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1))));
    const signedCall = (method, path, query, fields, extra = {}) => {
      const ts = String(Date.now());
      const q = query ? "?" + new URLSearchParams(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1))).toString() : "";
      const body = fields ? sorted(fields) : "";   // the docs' recipe: keys sorted, compact; sent as signed
      const sign = createHmac("sha256", secret).update(ts + method + path + q + body).digest("base64");
      return request(method, path + q, { body: fields ? body : undefined, headers: { appId, timestamp: ts, sign, ...extra } });
    };
    const token = (await signedCall("POST", "/open/api/v4/merchant/getToken", null, { email: "buyer@example.com" })).data.accessToken;
    const created = await signedCall("POST", "/open/api/v4/merchant/trade/create", null, {
      side: "BUY", merchantOrderNo: "ORD-DROPIN", amount: "100", fiatCurrency: "USD", cryptoCurrency: "USDT",
      depositType: 2, address: "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8", network: "TRX", payWayCode: "10001",
      alpha2: "US", callbackUrl: receiver }, { "access-token": token });
    if (!created.success) throw new Error(`trade/create refused: ${JSON.stringify(created)}`);
    const orderNo = created.data.orderNo;
    await admin("POST", "/_sandbox/simulate/alchemypay/pay", { order: orderNo });
    await admin("POST", "/_sandbox/simulate/alchemypay/transfer", { order: orderNo, confirm: true });
    const seen = await pollUntil(() => signedCall("GET", "/open/api/v4/merchant/query/trade", { side: "BUY", orderNo }, null),
                                 (r) => r.data && r.data.status === "FINISHED");
    return { id: orderNo, status: seen.data.status, links: [created.data.payUrl] };
  },

  async alfabit() {
    const key = { "x-api-key": "afb_sbx_7Qm2vX9kLp4Rt8Wz3Yc6Nf1Hd5Jg0Bs2" };
    await admin("PATCH", "/_sandbox/providers/alfabit/merchant", { webhook_url: receiver });
    const created = await request("POST", "/api/v1/integration/orders/invoice", { headers: key,
      body: JSON.stringify({ currencyInCode: "USDTTRC20", invoiceAssetCode: "USDT", invoiceAmount: "25",
                             comment: "ORD-DROPIN", isAwaitRequisites: true }) });
    const uid = created.data.uid;
    await admin("POST", "/_sandbox/simulate/alfabit/pay", { order: uid });
    const seen = await pollUntil(() => request("GET", `/api/v1/integration/orders/${uid}`, { headers: key }),
                                 (r) => r.data.isDone === true);
    return { id: uid, status: seen.data.status, links: [seen.data.invoicePublicUrl, seen.data.requisitesQrCode].filter(Boolean) };
  },

  async alppay() {
    const apiKey = "ak_sandbox_7c1e4b9a2f6d8035", hmacKey = "sk_sandbox_3b8f0d6a9e2c4f1a";
    await admin("PATCH", "/_sandbox/providers/alppay/merchant", { webhook_url: receiver });
    const body = JSON.stringify({ amount: "250.00", asset: { short: "USDT", network: "tron" },
                                  customer: { id: 12312312, name: "John", email: "john@example.com" }, invoice: "ORD-DROPIN" });
    const created = await request("POST", "/v2/payment", { body, headers: { "API-KEY": apiKey, "X-HMAC": hex("sha256", hmacKey, body) } });
    await admin("POST", "/_sandbox/simulate/alppay/pay", { payment: created.id });
    const seen = await pollUntil(() => request("GET", `/v2/payment/${created.id}`, { headers: { "API-KEY": apiKey } }),
                                 (r) => r.data.status === "COMPLETED");
    return { id: created.id, status: seen.data.status, links: [created.paymentRedirectUrl].filter(Boolean) };
  },
};

try {
  const out = await clients[provider]();
  console.log(JSON.stringify({ provider, ...out, calls }));
} catch (err) {
  console.error(String(err && err.stack || err));
  process.exit(1);
}
