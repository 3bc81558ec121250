"""Users' words for Lexware's answers, in one place.

Lexware answers in HTTP statuses, i18nKeys and error codes; the `lexware` package turns
them into typed errors, and this model says them in the reader's language (the context's
`lang`): why an invoice was refused (`_issue_words`, `_refusal_words`), why Lexware could
not be asked (`_trouble_words`), which voucher under an invoice's number is not that
invoice (`_mismatch_words`), and why a company must be connected again
(`_access_denied_words`, `_authorization_lost_words`, `_reconnect_words`).

Callers reach it as `self.env["lexware.messages"]`, so their environment's language holds.
"""

from odoo import models
from odoo.tools.translate import LazyTranslate

from ..lexware import SCOPES
from ..lexware.errors import (
    NETWORK,
    RATE_LIMITED,
    SERVER_TROUBLE,
    TIMEOUT,
    LexwareOutcomeUnknownError,
)
from ..lexware.voucher import SALES_CREDIT_NOTE, SALES_INVOICE
from .res_partner import LexwareContactUnsureError

_lt = LazyTranslate(__name__)

# Lexware's reasons (its i18nKey) in words, translated when shown (`env._(ISSUE_WORDS[key])`);
# the field stays in front of them.
ISSUE_WORDS = {
    "invalid_taxamount": _lt("the tax amount does not match the amount and tax rate"),
    "invalid_total_amount": _lt("the total does not match the sum of the items"),
    "missing_entity": _lt("is missing"),
    "invalid_value": _lt("has a value Lexware does not accept"),
    "collective_customer_not_applicable": _lt(
        "this posting category needs a contact of its own, not the collective contact"
    ),
    "max_file_size_exceeded": _lt("the file is larger than 5 MB"),
    "inacceptable_file_extension": _lt("Lexware does not accept this kind of file"),
    "inacceptable_file_type": _lt("the file's content does not match its extension"),
    "not_unique": _lt("already exists"),
    "invalid_uuid": _lt("is not a valid id"),
    "not_allowed": _lt("is not allowed here"),
}


class LexwareMessages(models.AbstractModel):
    _name = "lexware.messages"
    _description = "Lexware Office: Messages"

    # -- an invoice's transfer ------------------------------------------------------------

    def _issue_words(self, error):
        """Lexware's refusal as sentences, one issue a line."""
        if not error.issues:
            return self.env._("Lexware refused the voucher (HTTP %(status)s).", status=error.status)
        lines = [self.env._("Lexware refused the voucher (HTTP %(status)s):", status=error.status)]
        for issue in error.issues:
            words = issue.reason
            if issue.reason in ISSUE_WORDS:
                words = self.env._(ISSUE_WORDS[issue.reason])
            lines.append(f"- {issue.field}: {words}" if issue.field else f"- {words}")
        return "\n".join(lines)

    def _trouble_words(self, error):
        """Why Lexware could not be asked, or did not answer, in words; the HTTP status
        stays in them for support."""
        status = error.status
        if error.kind == RATE_LIMITED:
            return self.env._("Lexware Office is busy (HTTP %(status)s).", status=status or 429)
        if error.kind == SERVER_TROUBLE:
            return self.env._(
                "Lexware Office has a server problem (HTTP %(status)s).", status=status
            )
        if error.kind == TIMEOUT:
            return self.env._("Lexware Office did not answer in time.")
        if error.kind == NETWORK and isinstance(
            error, (LexwareOutcomeUnknownError, LexwareContactUnsureError)
        ):
            return self.env._("The connection to Lexware Office broke off.")
        if error.kind == NETWORK:
            return self.env._("Lexware Office could not be reached (no network connection).")
        if status:
            return self.env._(
                "Lexware Office gave an unexpected answer (HTTP %(status)s).", status=status
            )
        return self.env._("Lexware Office gave an unexpected answer.")

    def _refusal_words(self, error):
        """A LexwareDataError in words; its amounts as the package wrote them."""
        params = error.params
        words = {
            "no_lines": lambda: self.env._("The invoice has no lines to book."),
            "total_not_positive": lambda: self.env._(
                "Lexware accepts only invoices with a positive total; this one totals "
                "%(total)s EUR.",
                **params,
            ),
            "no_category": lambda: self.env._("A line has no Lexware posting category."),
            "negative_group": lambda: self.env._(
                "Lexware accepts no negative amounts; the lines at %(rate)s %% tax are "
                "negative after discounts (%(gross)s EUR).",
                **params,
            ),
            "tax_rate": lambda: self.env._(
                "Lexware accepts tax rates 0, 5, 7, 16 and 19 %%; this invoice uses %(rate)s %%.",
                **params,
            ),
            "oss_tax_rate": lambda: self.env._(
                "Lexware accepts in its OSS categories the VAT rates of the EU member states "
                "only; this invoice uses %(rate)s %%.",
                **params,
            ),
            "tax_at_zero_rate": lambda: self.env._(
                "The lines at 0 %% carry %(tax)s EUR tax; Lexware books no tax at 0 %%.",
                **params,
            ),
            "lines_zero": lambda: self.env._(
                "The invoice totals %(total)s EUR but its lines add up to 0.00 EUR.", **params
            ),
            "total_mismatch": lambda: self.env._(
                "The invoice totals %(total)s EUR but its lines add up to %(lines_total)s EUR; "
                "the difference is more than rounding.",
                **params,
            ),
            "residue_not_positive": lambda: self.env._(
                "The rounding difference of %(residue)s EUR leaves no positive amount.",
                **params,
            ),
            "company_without_name": lambda: self.env._("The customer is a company without a name."),
            "no_name": lambda: self.env._("The customer has no name."),
        }
        return words[error.code]() if error.code in words else error.reason

    def _voucher_type_words(self, voucher_type):
        """Lexware's voucher type in words, as a bookkeeper calls it."""
        words = {
            SALES_INVOICE: self.env._("sales invoice"),
            SALES_CREDIT_NOTE: self.env._("sales credit note"),
        }
        return words.get(voucher_type, voucher_type or "-")

    def _mismatch_words(self, move, others):
        """Why the vouchers `others` Lexware holds under the number of `move` are not it:
        `others` pairs each voucher with its differences in words."""
        lines = [
            self.env._(
                "Lexware already holds a voucher under the number %(number)s that is not this "
                "invoice. Odoo neither took it for this invoice nor sent the invoice again:",
                number=move.name,
            )
        ]
        for voucher, differences in others:
            lines.append(
                self.env._(
                    "- voucher %(voucher)s: %(differences)s",
                    voucher=voucher.get("id"),
                    differences="; ".join(differences),
                )
            )
        lines.append(
            self.env._(
                "Check it in Lexware: if it is this invoice, correct it there; if it is "
                "another document, give it another number there or void it. Then retry."
            )
        )
        return "\n".join(lines)

    # -- a company's connection ----------------------------------------------------------

    def _access_denied_words(self, error):
        """What a 402 or 403 means for the admin, with Lexware's reason for support."""
        answer = f"HTTP {error.status}: {error.reason}" if error.reason else f"HTTP {error.status}"
        if error.status == 402:
            return self.env._(
                "Lexware Office refuses access because of the contract (%(answer)s). Check "
                "the Lexware Office plan, then connect again.",
                answer=answer,
            )
        return self.env._(
            "Lexware Office refuses this connection a permission it needs (%(answer)s). "
            "Connect again and allow everything Lexware asks for; an API key needs the "
            "scopes %(scopes)s.",
            answer=answer,
            scopes=", ".join(SCOPES),
        )

    def _authorization_lost_words(self):
        """The company's problem once Lexware no longer takes its credentials."""
        return self.env._("Lexware Office no longer accepts this connection. Connect again.")

    def _reconnect_subject(self, company):
        return self.env._("Lexware Office: reconnect %(company)s", company=company.name)

    def _reconnect_words(self, company, problem=None):
        """What the admins are told: `problem` in words, else the authorization is lost."""
        organisation = company.lexware_organization_name or "?"
        if problem:
            return self.env._(
                "Lexware Office stopped the transfer of %(company)s to the organisation "
                "%(organisation)s: %(problem)s Invoices waiting for the transfer stay queued "
                "and go once the company is connected again in Settings > Integrations > "
                "Lexware Office.",
                company=company.name,
                organisation=organisation,
                problem=problem,
            )
        return self.env._(
            "Lexware Office no longer accepts the connection of %(company)s to the "
            "organisation %(organisation)s: the authorization was revoked, has expired "
            "(Lexware grants it for two years) or the API key was deleted. Invoices waiting "
            "for the transfer stay queued. To reconnect, open Settings > Integrations > "
            "Lexware Office and click Connect.",
            company=company.name,
            organisation=organisation,
        )
