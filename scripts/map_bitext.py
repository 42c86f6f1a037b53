"""Build the outside check for the English classifier from Bitext's public customer-support sample.

    python scripts/map_bitext.py Bitext_Sample_Customer_Support_Training_Dataset.csv \
        dialogues/data/external/bitext_customer_support_en.csv

The corpus is Bitext's (CDLA-Sharing-1.0); the file this builds is published beside that agreement.
It keeps the `instruction` column as `text`, maps Bitext's intent to ours (dialogues/data/README.md explains
every choice) and assigns each row to the `dev` or `test` half by the parity of the SHA-256 of its text.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

MAPPING = {
    "cancel_order": "cancel_order",
    "change_order": "change_order_or_address",
    "change_shipping_address": "change_order_or_address",
    "set_up_shipping_address": "change_order_or_address",
    "check_invoice": "invoice_request",
    "get_invoice": "invoice_request",
    "check_payment_methods": "payment_methods",
    "payment_issue": "payment_problem",
    "check_refund_policy": "return_policy",
    "get_refund": "refund_request",
    "track_refund": "refund_request",
    "complaint": "complaint",
    "contact_customer_service": "human_agent",
    "contact_human_agent": "human_agent",
    "delivery_options": "delivery_options",
    "delivery_period": "delivery_time",
    "track_order": "track_order",
    "create_account": "account_question",
    "delete_account": "account_question",
    "edit_account": "account_question",
    "recover_password": "account_question",
    "registration_problems": "account_question",
    "switch_account": "account_question",
    "newsletter_subscription": "promotions",
    "check_cancellation_fee": "out_of_scope",
    "place_order": "out_of_scope",
    "review": "out_of_scope",
}


# Bitext's contact_customer_service mixes wanting a person ("I need to talk to customer service", ours:
# human_agent), support hours (contact_hours here, counted as errors) and asking for a phone number or an email
# address, which is ours `contact` (answered with the shop's details and a "Talk to a human" button).
CONTACT_CHANNEL = re.compile(r"\b(phone|number|e-?mail|mail|hotline)\b", re.IGNORECASE)


def our_intent(source_intent: str, text: str) -> str:
    if source_intent == "contact_customer_service" and CONTACT_CHANNEL.search(text):
        return "contact"
    return MAPPING[source_intent]


def split_of(text: str) -> str:
    return "test" if hashlib.sha256(text.encode("utf-8")).digest()[-1] % 2 else "dev"


def main(source: Path, target: Path) -> int:
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    unknown = sorted({row["intent"] for row in rows} - MAPPING.keys())
    if unknown:
        print(f"unknown Bitext intents: {', '.join(unknown)}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["text", "intent", "source_intent", "split"])
        for row in rows:
            text = " ".join(row["instruction"].split())
            out.writerow([text, our_intent(row["intent"], text), row["intent"], split_of(text)])
    print(f"{len(rows)} rows written to {target}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
