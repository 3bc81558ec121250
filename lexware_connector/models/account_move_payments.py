"""Lexware's voucher status on the invoice, and what Lexware says was paid, registered as
Odoo payments reconciled with the invoice.

Each new payment item of Lexware's answer becomes, on its posting date:
- a payment (bank, manual or unknown type): an Odoo payment in the company's journal;
- a cash discount (Skonto): Odoo's early payment discount when the invoice's terms grant
  exactly that amount on that day, else a write-off on the company's cash discount account,
  with the payment of the same day or as an entry of its own;
- a credit note set off: the invoice reconciled with its open credit note of that amount
  (or, on a credit note, with its invoice).
Odoo's amount due then equals Lexware's open amount. Which item became what is kept in
`lexware.payment`, so that nothing is registered twice; an item Lexware no longer lists is
taken back first (`account_move_payments_undo.py`).
"""

from decimal import Decimal

from markupsafe import Markup

from odoo import Command, fields, models
from odoo.tools import format_amount, format_date, groupby, plaintext2html

from ..lexware.payments import CASH_DISCOUNT, CREDIT_NOTE, PAYMENT
from .lexware_payment import CURRENT, LEFT_ALONE, REGISTERED, UNMATCHED, item_keys

VOUCHER_STATUSES = [
    ("open", "Open"),
    ("paid", "Paid"),
    ("paidoff", "Paid Off"),
    ("voided", "Voided"),
    ("transferred", "Transferred"),
    ("sepadebit", "SEPA Direct Debit"),
]
KNOWN_STATUSES = frozenset(status for status, _label in VOUCHER_STATUSES)
# Lexware owes nothing more on these: they leave the period the polling looks at.
SETTLED_STATUSES = ("paid", "paidoff", "voided")
PAID_STATUSES = ("paid", "paidoff")
RECEIVABLE_TYPES = ("asset_receivable", "liability_payable")
CENT = Decimal("0.01")


def cents(value):
    return Decimal(str(value or 0)).quantize(CENT)


# Payments from Lexware are one concern, kept apart from the transfer's side of the invoice.
class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    lexware_voucher_status = fields.Selection(
        VOUCHER_STATUSES,
        string="Status in Lexware",
        copy=False,
        readonly=True,
        index=True,
        help="The voucher's status in Lexware Office, as last seen by Odoo: paid, paid off "
        "(with a cash discount), voided, ... Empty until Odoo has seen a change.",
    )
    lexware_open_amount = fields.Monetary(
        string="Open Amount in Lexware",
        copy=False,
        readonly=True,
        help="What Lexware Office showed as still open, when Odoo last looked.",
    )
    lexware_payment_ids = fields.One2many(
        "lexware.payment", "move_id", string="Payments from Lexware", readonly=True
    )

    # -- what Odoo last saw ---------------------------------------------------------------

    def _lexware_seen(self):
        """(status, open amount) as Odoo last saw them; a voucher never looked at is open
        with all of its total, as the transfer booked it."""
        self.ensure_one()
        if self.lexware_voucher_status:
            return self.lexware_voucher_status, cents(self.lexware_open_amount)
        return "open", cents(self.amount_total)

    def _lexware_payments_changed(self, status, open_amount):
        """Whether Lexware's status or open amount (None: not told) differ from what Odoo
        last saw: only then are its payments read."""
        seen_status, seen_open = self._lexware_seen()
        return status != seen_status or (open_amount is not None and open_amount != seen_open)

    # -- registering ----------------------------------------------------------------------

    def _lexware_take_payments(self, payments, journal):
        """Register Lexware's new payment items on this invoice and keep its status."""
        self.ensure_one()
        move = self.with_context(lang=self._lexware_payment_lang())
        # What Lexware took back is undone first, so that nothing is counted twice.
        left = move._lexware_take_back(payments)
        current = self.lexware_payment_ids.filtered(lambda row: row.outcome in CURRENT)
        known = set(current.mapped("item_key"))
        new = [(key, item) for key, item in item_keys(payments.items) if key not in known]
        if new:
            move._lexware_register(new, payments, journal)
        move._lexware_keep_status(payments)
        if left:
            move._lexware_message_kept(left, payments)

    def _lexware_register(self, new, payments, journal):
        still_due = cents(self.amount_residual) - payments.open_amount
        if still_due <= 0:
            # Odoo holds what Lexware says is paid (reconciled by hand, or an item Lexware
            # changed after it was registered): nothing is registered twice.
            self._lexware_record(new, LEFT_ALONE)
            self._lexware_message_left_alone()
            return
        registered = []
        ordered = sorted(new, key=lambda pair: pair[1].posting_date)
        for day, group in groupby(ordered, key=lambda pair: pair[1].posting_date):
            registered += self._lexware_register_day(day, group, journal, payments.open_amount)
        if registered:
            self._lexware_message_registered(registered)

    def _lexware_register_day(self, day, items, journal, open_amount):
        """Book one posting date's items, never below Lexware's `open_amount` (an item
        Lexware changed afterwards has a new key, and must not be counted twice); answer
        the items registered."""
        by_kind = {
            kind: [(key, item) for key, item in items if item.kind == kind]
            for kind in (PAYMENT, CASH_DISCOUNT, CREDIT_NOTE)
        }
        registered = []
        for key, item in by_kind[CREDIT_NOTE]:
            counterpart = self._lexware_set_off(item.amount)
            if counterpart:
                self._lexware_record([(key, item)], REGISTERED, entry=counterpart)
                registered.append(item)
            else:
                self._lexware_record([(key, item)], UNMATCHED)
                self._lexware_message_unmatched(item.amount)
        paid = sum((item.amount for _key, item in by_kind[PAYMENT]), Decimal(0))
        discount = sum((item.amount for _key, item in by_kind[CASH_DISCOUNT]), Decimal(0))
        payment, discount_booked = None, False
        room = cents(self.amount_residual) - open_amount
        if paid and room > 0:
            payment, discount_booked = self._lexware_pay(day, min(paid, room), discount, journal)
            self._lexware_record(by_kind[PAYMENT], REGISTERED, payment=payment)
            registered += [item for _key, item in by_kind[PAYMENT]]
        elif paid:
            self._lexware_record(by_kind[PAYMENT], LEFT_ALONE)
        if discount:
            entry = None if discount_booked else self._lexware_write_off(day, discount)
            outcome = REGISTERED if (discount_booked or entry) else LEFT_ALONE
            self._lexware_record(by_kind[CASH_DISCOUNT], outcome, payment=payment, entry=entry)
            if outcome == REGISTERED:
                registered += [item for _key, item in by_kind[CASH_DISCOUNT]]
        return registered

    def _lexware_pay(self, day, amount, discount, journal):
        """An Odoo payment of `amount` on `day`, reconciled with the invoice; answers it and
        whether it settled `discount` too (as early payment discount or write-off)."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=self.ids)
            .create({"payment_date": day, "journal_id": journal.id, "amount": float(amount)})
        )
        discount_booked = bool(discount) and (
            self.currency_id.compare_amounts(wizard.payment_difference, float(discount)) == 0
        )
        if discount_booked and not wizard.early_payment_discount_mode:
            wizard.write(
                {
                    "payment_difference_handling": "reconcile",
                    "writeoff_account_id": self._lexware_discount_account().id,
                    "writeoff_label": self.env._("Cash discount (Lexware Office)"),
                }
            )
        elif not discount_booked:
            # The amount may match the discounted one by chance: Lexware granted none.
            wizard.payment_difference_handling = "open"
        return wizard._create_payments(), discount_booked

    def _lexware_write_off(self, day, amount):
        """A cash discount without a payment to go with: an entry that takes it off the
        receivable, reconciled with the invoice. None when nothing is open."""
        receivable = self._lexware_open_receivable()
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company_id.id), ("type", "=", "general")], limit=1
        )
        if not receivable or not journal:
            return None
        balance = float(amount) if self.is_inbound() else -float(amount)
        label = self.env._("Cash discount (Lexware Office)")
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": day,
                "ref": f"{label}: {self.name}",
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.account_id.id,
                            "partner_id": self.commercial_partner_id.id,
                            "balance": -balance,
                            "name": label,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self._lexware_discount_account().id,
                            "balance": balance,
                            "name": label,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        counter = entry.line_ids.filtered(lambda line: line.account_id == receivable.account_id)
        (counter + receivable).reconcile()
        return entry

    def _lexware_set_off(self, amount):
        """Reconcile the invoice with the open credit note (on a credit note: the open
        invoice) of the customer whose open amount is `amount`, the one it reverses first.
        Answers the counterpart, or None when Odoo has none."""
        other_type = "out_refund" if self.move_type == "out_invoice" else "out_invoice"
        candidates = self.search(
            [
                ("move_type", "=", other_type),
                ("state", "=", "posted"),
                ("company_id", "=", self.company_id.id),
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("payment_state", "in", ("not_paid", "partial")),
            ]
        )
        related = candidates.filtered(
            lambda move: move.reversed_entry_id == self or self.reversed_entry_id == move
        )
        for counterpart in related + (candidates - related):
            if cents(counterpart.amount_residual) == amount:
                receivable = self._lexware_open_receivable()
                other = counterpart._lexware_open_receivable()
                if receivable and other and receivable.account_id == other.account_id:
                    (receivable + other).reconcile()
                    return counterpart
        return None

    def _lexware_open_receivable(self):
        return self.line_ids.filtered(
            lambda line: line.account_id.account_type in RECEIVABLE_TYPES and not line.reconciled
        )

    def _lexware_discount_account(self):
        """Where a cash discount goes: the company's cash discount loss account (on a credit
        note: its gain account), else any expense (income) account of the company."""
        company = self.company_id
        if self.is_inbound():
            account = company.account_journal_early_pay_discount_loss_account_id
            fallback = "expense"
        else:
            account = company.account_journal_early_pay_discount_gain_account_id
            fallback = "income_other"
        return account or self.env["account.account"].search(
            [
                *self.env["account.account"]._check_company_domain(company),
                ("account_type", "=", fallback),
            ],
            limit=1,
        )

    def _lexware_record(self, pairs, outcome, payment=None, entry=None):
        self.env["lexware.payment"].sudo().create(
            [
                {
                    "move_id": self.id,
                    "voucher_id": self.lexware_voucher_id,
                    "item_key": key,
                    "kind": item.kind,
                    "item_type": item.raw_type,
                    "posting_date": item.posting_date,
                    "amount": float(item.amount),
                    "outcome": outcome,
                    "payment_id": payment.id if payment else False,
                    "entry_id": entry.id if entry else False,
                }
                for key, item in pairs
            ]
        )

    def _lexware_keep_status(self, payments):
        status = payments.voucher_status
        if status not in KNOWN_STATUSES:
            status = self.lexware_voucher_status
        newly_voided = status == "voided" and self.lexware_voucher_status != "voided"
        self.sudo().write(
            {"lexware_voucher_status": status, "lexware_open_amount": float(payments.open_amount)}
        )
        if newly_voided:
            self._lexware_message_voided()

    # -- what the user is told ------------------------------------------------------------

    def _lexware_payment_lang(self):
        user = self._lexware_failure_reader()
        for lang in (user.lang, self.company_id.partner_id.lang):
            if lang and self.env["res.lang"]._get_code(lang):
                return lang
        return self.env.lang or "en_US"

    def _lexware_note(self, body):
        self.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    def _lexware_message_registered(self, items):
        lines = [
            self.env._(
                "%(amount)s on %(date)s",
                amount=format_amount(self.env, float(item.amount), self.currency_id),
                date=format_date(self.env, item.posting_date),
            )
            for item in items
        ]
        self._lexware_note(
            Markup("%s<br/>%s")
            % (
                self.env._("Paid in Lexware Office; registered in Odoo:"),
                Markup("<br/>").join(lines),
            )
        )

    def _lexware_message_left_alone(self):
        self._lexware_note(
            self.env._(
                "Lexware Office shows payments on this invoice that Odoo already holds "
                "(reconciled here by hand, or changed in Lexware after Odoo registered "
                "them). They were not registered again."
            )
        )

    def _lexware_message_unmatched(self, amount):
        self._lexware_note(
            self.env._(
                "Lexware Office set a credit note of %(amount)s off against this document. "
                "Odoo has no open counterpart of that amount for this customer: please "
                "reconcile it by hand.",
                amount=format_amount(self.env, float(amount), self.currency_id),
            )
        )

    def _lexware_message_voided(self):
        reason = self.env._(
            "This document was voided in Lexware Office. Odoo changes nothing on its own: "
            "cancel it or issue a credit note here if that is right."
        )
        self._lexware_note(reason)
        user = self._lexware_failure_reader()
        if user:
            self.sudo().activity_schedule(
                "lexware_connector.mail_activity_lexware_failed",
                summary=self.env._("Voided in Lexware Office"),
                note=plaintext2html(reason),
                user_id=user.id,
            )
