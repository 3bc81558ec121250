"""The voucher a bookkeeper enters in Lexware by hand, for the tests and benchmarks without
the ORM (the client's, the sandbox's, the benchmarks'): one payload, as Lexware takes it."""

GOODS = "8f8664a8-fd86-11e1-a21f-0800200c9a66"


def voucher(
    number="RE-2026-0001", net=100.0, voucher_type="salesinvoice", date="2026-11-24", **overrides
):
    """A valid net sales invoice: `net` of goods at 19 % on the collective contact;
    `overrides` replace its top-level fields as given."""
    net = float(net)
    tax = round(net * 0.19, 2)
    body = {
        "type": voucher_type,
        "voucherNumber": number,
        "voucherDate": date,
        "taxType": "net",
        "totalGrossAmount": round(net + tax, 2),
        "totalTaxAmount": tax,
        "useCollectiveContact": True,
        "voucherItems": [
            {"amount": net, "taxAmount": tax, "taxRatePercent": 19, "categoryId": GOODS}
        ],
    }
    body.update(overrides)
    return body
