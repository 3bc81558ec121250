"""A customer's contact in Lexware kept current with Odoo (issue 18).

Before an invoice goes to a known contact, the customer's data as the connector writes it
(name, billing address, VAT id, email, phone) is compared by its fingerprint with what was
last reconciled with Lexware for the company: equal, it costs no request. Otherwise the
contact is read, Odoo's fields are merged into it (see `lexware.contact_update`: nothing
else of it is touched, an empty Odoo field erases nothing) and it is written back with the
version read; a stale version is read again and tried once more.

The invoice never waits for this: a contact Lexware's API cannot write (edited in the web
app to hold more than it takes), a refusal or a server problem leaves it as it is, the
voucher goes to it, and a note on the customer says why. Only a lost authorization and the
run's own deadline stop the invoice, as for any other request.
"""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lexware.contact import build_contact
from ..lexware.contact_update import (
    ADDRESS,
    EMAIL,
    NAME,
    PHONE,
    VAT_ID,
    contact_fingerprint,
    contact_kind,
    crowded_lists,
    merge_contact,
)
from ..lexware.errors import (
    TIMEOUT,
    LexwareAccessDenied,
    LexwareAuthError,
    LexwareDataError,
    LexwareError,
    LexwareOutOfTimeError,
    LexwarePermanentError,
    LexwareRetryableError,
)
from .res_partner import CONTACT_FIELDS

_logger = logging.getLogger(__name__)

# How one check ended, for the manual action's summary.
UNCHANGED, UPDATED, LEFT_ALONE, FAILED = "unchanged", "updated", "left_alone", "failed"
CREATED = "created"
# Customers one click brings up to date: each costs up to four requests at 2 a second.
MANUAL_LIMIT = 20
# A PUT's answers to a stale version: 409 as documented, 406 as seen.
STALE_STATUSES = frozenset({406, 409})
# Seconds the update may take of an invoice's time: one request with its full timeouts and
# some to spare. A contact endpoint that hangs must not keep the voucher from going.
UPDATE_TIME_MAX = 45.0


class LexwareStaleAgain(Exception):
    """The contact changed in Lexware between the read and the write, twice."""


class ResPartner(models.Model):
    # The customer's Lexware contact, by concern: the link in res_partner.py, its upkeep here.
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    lexware_contact_fingerprint = fields.Char(
        company_dependent=True,
        copy=False,
        help="A digest of this customer's name, billing address, VAT ID, email and phone as "
        "last reconciled with its contact in the company's Lexware Office: while they are "
        "unchanged, invoices cost no request to keep the contact current.",
    )

    def _lexware_keep_contact_current(self, client, commit, force=False):
        """Bring this customer's known contact in Lexware up to Odoo's data; the outcome.

        `self` is the commercial partner as sudo with the company. `force` reads the contact
        even when the fingerprint says it is current (the manual action).
        """
        self.ensure_one()
        # The cron runs without a language: the notes then speak the company's.
        lang = self.env.lang or self.env.company.partner_id.lang
        return self.with_context(lang=lang)._lexware_reconcile_contact(client, commit, force)

    def _lexware_reconcile_contact(self, client, commit, force):
        try:
            wanted = build_contact(self._lexware_contact_data())
        except LexwareDataError as error:
            # The voucher names the contact by its id and needs none of this.
            _logger.info("Lexware: partner %s: no contact data to write: %s", self.id, error)
            return UNCHANGED
        fingerprint = contact_fingerprint(wanted)
        if fingerprint == self.lexware_contact_fingerprint and not force:
            return UNCHANGED
        try:
            outcome, reason = self._lexware_update_contact_in_time(client, wanted)
        except (LexwareAuthError, LexwareOutOfTimeError):
            raise
        except (LexwareRetryableError, LexwareStaleAgain) as error:
            # Tried again with the next document: the fingerprint stays as it was.
            self._lexware_contact_note(self._lexware_contact_trouble_words(error))
            return FAILED
        except LexwareError as error:
            outcome, reason = FAILED, self._lexware_contact_refusal_words(error)
        if reason:
            self._lexware_contact_note(reason)
        # Reconciled, or refused for a reason that the same data would meet again: one
        # note per change of the customer, not one per invoice.
        self.lexware_contact_fingerprint = fingerprint
        commit()
        return outcome

    def _lexware_update_contact_in_time(self, client, wanted):
        """`_lexware_update_contact` within UPDATE_TIME_MAX: running out of that time is a
        failed update, running out of the caller's deadline stops as any request does."""
        deadline = client.deadline
        own = time.monotonic() + UPDATE_TIME_MAX
        client.set_deadline(own if deadline is None else min(own, deadline))
        try:
            return self._lexware_update_contact(client, wanted)
        except LexwareOutOfTimeError as error:
            if deadline is not None and deadline <= own:
                raise
            raise LexwareRetryableError(str(error), kind=TIMEOUT) from None
        finally:
            client.set_deadline(deadline)

    def _lexware_update_contact(self, client, wanted):
        """(outcome, note or None): read, merge, write; a stale version read once more."""
        contact_id = self.lexware_contact_id
        current = client.get_contact(contact_id)
        for last_try in (False, True):
            reason = self._lexware_contact_unwritable_words(current, wanted)
            if reason:
                return LEFT_ALONE, reason
            merged, changed = merge_contact(current, wanted)
            if not changed:
                return UNCHANGED, None
            try:
                client.update_contact(contact_id, merged)
            except LexwarePermanentError as error:
                if error.status not in STALE_STATUSES:
                    raise
                if last_try:
                    raise LexwareStaleAgain(str(error)) from None
                fresh = client.get_contact(contact_id)
                if error.status == 406 and fresh.get("version") == current.get("version"):
                    raise  # the version was current: Lexware refused the data
                current = fresh
                continue
            _logger.info("Lexware: partner %s: contact %s updated", self.id, contact_id)
            return UPDATED, self._lexware_contact_updated_words(changed)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- merged customers -------------------------------------------------------------------

    def _lexware_take_over_contacts(self, merged):
        """Per company: this partner keeps its contact or takes the first merged one's, with
        its fingerprint, so that its invoices go there and no second contact is made; the
        merged partners, deleted next, let go of theirs, so that the merge's own copying of
        fields finds nothing to change. A contact left behind is named in a note."""
        self.ensure_one()
        names = sorted(CONTACT_FIELDS)
        for company in self._lexware_linked_companies(self | merged):
            survivor = self.sudo().with_company(company)
            others = (
                merged.sudo()
                .with_company(company)
                .filtered(lambda partner: any(partner[name] for name in names))
            )
            donors = others.filtered("lexware_contact_id")
            if not survivor.lexware_contact_id and donors:
                survivor.write({name: donors[0][name] for name in names})
                donors = donors[1:]
            elif not survivor.lexware_contact_id and any(others.mapped("lexware_contact_unsure")):
                survivor.lexware_contact_unsure = True
            for donor in donors:
                survivor._lexware_contact_note(
                    self.env._(
                        "Lexware Office (%(company)s): the merged customer %(customer)s had a "
                        "contact of its own there (%(contact)s). Invoices go to this customer's "
                        "contact; merge the two in Lexware if you wish.",
                        company=company.name,
                        customer=donor.display_name,
                        contact=donor.lexware_contact_id,
                    )
                )
            others.write(dict.fromkeys(names, False))

    def _lexware_linked_companies(self, partners):
        """The companies for which any of `partners` has a link to Lexware (the values of a
        company-dependent field are stored by company id)."""
        partners.flush_model(sorted(CONTACT_FIELDS))
        self.env.cr.execute(
            SQL(
                "SELECT lexware_contact_id, lexware_contact_unsure, lexware_contact_fingerprint"
                " FROM res_partner WHERE id IN %s",
                tuple(partners.ids),
            )
        )
        company_ids = {
            int(key) for row in self.env.cr.fetchall() for values in row if values for key in values
        }
        return self.env["res.company"].sudo().browse(sorted(company_ids)).exists()

    # -- words on the customer --------------------------------------------------------------

    def _lexware_contact_note(self, body):
        """A note on the customer; a failing note is logged, never in the invoice's way."""
        try:
            with self.env.cr.savepoint():
                self.message_post(body=body, subtype_xmlid="mail.mt_note")
        except Exception:  # pylint: disable=broad-exception-caught
            _logger.exception("Lexware: partner %s: the note about its contact failed", self.id)

    def _lexware_contact_unwritable_words(self, current, wanted):
        """Why the contact is left as it is, or None when it can be written."""
        crowded = crowded_lists(current)
        if crowded:
            return self.env._(
                "Lexware Office: the contact of this customer was not updated. Since an edit "
                "in Lexware's web app it holds more than the Lexware API can write "
                "(%(lists)s); written back, the rest would be lost, so Odoo leaves it as it "
                "is. Change the name, billing address, VAT ID, email or phone in Lexware "
                "yourself, or remove the extra entries there and use Update in Lexware.",
                lists=", ".join(self._lexware_list_words(name) for name in crowded),
            )
        if contact_kind(current) != contact_kind(wanted):
            kinds = {"company": self.env._("company"), "person": self.env._("person")}
            return self.env._(
                "Lexware Office: the contact of this customer was not updated: Lexware holds "
                "it as a %(held)s, Odoo as a %(wanted)s. Change it in Lexware's web app.",
                held=kinds[contact_kind(current)],
                wanted=kinds[contact_kind(wanted)],
            )
        return None

    def _lexware_list_words(self, name):
        """A crowded list ("addresses.billing") in words: "billing addresses"."""
        group, kind = name.split(".", 1)
        if group == "company":
            return self.env._("contact persons")
        kinds = {
            "billing": self.env._("billing"),
            "shipping": self.env._("shipping"),
            "business": self.env._("business"),
            "office": self.env._("office"),
            "private": self.env._("private"),
            "mobile": self.env._("mobile"),
            "fax": self.env._("fax"),
            "other": self.env._("other"),
        }
        lists = {
            "addresses": self.env._("addresses (%(kind)s)"),
            "emailAddresses": self.env._("email addresses (%(kind)s)"),
            "phoneNumbers": self.env._("phone numbers (%(kind)s)"),
        }
        return lists[group] % {"kind": kinds.get(kind, kind)}

    def _lexware_contact_updated_words(self, changed):
        names = {
            NAME: self.env._("name"),
            ADDRESS: self.env._("billing address"),
            VAT_ID: self.env._("VAT ID"),
            EMAIL: self.env._("email"),
            PHONE: self.env._("phone"),
        }
        return self.env._(
            "Lexware Office: the contact of this customer was updated (%(fields)s).",
            fields=", ".join(
                names[name] for name in (NAME, ADDRESS, VAT_ID, EMAIL, PHONE) if name in changed
            ),
        )

    def _lexware_contact_trouble_words(self, error):
        if isinstance(error, LexwareStaleAgain):
            problem = self.env._("It was changed in Lexware at the same time.")
        else:
            problem = self.env["lexware.messages"]._trouble_words(error)
        return self.env._(
            "Lexware Office: the contact of this customer could not be updated. %(problem)s "
            "The invoice went to the contact as it is; Odoo tries again with the next one.",
            problem=problem,
        )

    def _lexware_contact_refusal_words(self, error):
        issues = "; ".join(str(issue) for issue in getattr(error, "issues", ()))
        return self.env._(
            "Lexware Office refused to update the contact of this customer (HTTP %(status)s: "
            "%(issues)s). Invoices go to the contact as it is until the customer's data "
            "changes.",
            status=error.status or "-",
            issues=issues or self.env._("no reason given"),
        )

    # -- the accountants' action ------------------------------------------------------------

    def action_lexware_update_contact(self):
        """Bring the selected customers' contacts in the current company's Lexware up to
        Odoo's data now, read afresh whatever the fingerprint says.

        A customer without a contact there gets one: it is what its next invoice would do,
        and an accountant asking for the customer in Lexware means it.
        """
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(
                self.env._("Only accountants can update customers in Lexware Office.")
            )
        customers = self.commercial_partner_id
        if len(customers) > MANUAL_LIMIT:
            raise UserError(
                self.env._(
                    "Select at most %(limit)s customers at a time to update in Lexware Office.",
                    limit=MANUAL_LIMIT,
                )
            )
        company = self.env.company
        client = company.sudo()._lexware_client()  # UserError when not connected
        words = self._lexware_contact_outcome_words()
        lines = [
            self.env._(
                "%(customer)s: %(outcome)s",
                customer=customer.display_name,
                outcome=words[customer._lexware_update_now(company, client)],
            )
            for customer in customers
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Update in Lexware"),
                "message": "\n".join(lines),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _lexware_update_now(self, company, client):
        """The outcome for one customer; Lexware's trouble as a UserError."""
        self.ensure_one()
        partner = self.sudo().with_company(company)
        commit = self.env["lexware.transfer"]._lexware_commit
        try:
            if not partner.lexware_contact_id:
                ensured = partner._lexware_ensure_contact(company, client, True, commit)
                if ensured.created:
                    return CREATED
            return partner._lexware_keep_contact_current(client, commit, force=True)
        except LexwareAccessDenied as error:
            problem = self.env["lexware.messages"]._access_denied_words(error)
        except LexwareAuthError:
            problem = self.env["lexware.messages"]._authorization_lost_words()
        except LexwareDataError as error:
            problem = self.env["lexware.messages"]._refusal_words(error)
        except LexwareError as error:
            problem = self.env["lexware.messages"]._trouble_words(error)
        raise UserError(
            self.env._(
                "%(customer)s could not be updated in Lexware Office: %(problem)s",
                customer=self.display_name,
                problem=problem,
            )
        )

    @api.model
    def _lexware_contact_outcome_words(self):
        return {
            CREATED: self.env._("created"),
            UNCHANGED: self.env._("already up to date"),
            UPDATED: self.env._("updated"),
            LEFT_ALONE: self.env._("left as it is (see the note on the customer)"),
            FAILED: self.env._("not updated (see the note on the customer)"),
        }
