"""A customer's Lexware contact, kept per company."""

import logging
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..lexware.contact import ContactData, build_contact
from ..lexware.contact_update import contact_fingerprint
from ..lexware.errors import LexwareError, LexwareOutcomeUnknownError, LexwareRetryableError

_logger = logging.getLogger(__name__)

# The link to the customer's contact in Lexware, kept by the transfer alone: pointed
# elsewhere it books invoices on another customer, cleared it makes Lexware a second
# contact (Lexware cannot delete contacts); a forged fingerprint keeps the contact from
# being updated.
CONTACT_FIELDS = frozenset(
    {"lexware_contact_id", "lexware_contact_unsure", "lexware_contact_fingerprint"}
)


class LexwareContactUnsureError(LexwareRetryableError):
    """The contact POST's outcome is unknown: the contact may exist, the voucher does not."""


class EnsuredContact(NamedTuple):
    """The contact an invoice goes to: its id, None for the collective contact."""

    contact_id: str | None
    created: bool  # created in Lexware just now


class ResPartner(models.Model):
    _inherit = "res.partner"

    lexware_contact_id = fields.Char(
        string="Lexware Contact ID",
        company_dependent=True,
        copy=False,
        help="The id of this customer's contact in the company's Lexware Office organisation.",
    )
    lexware_contact_unsure = fields.Boolean(
        string="Lexware Contact Unconfirmed",
        company_dependent=True,
        copy=False,
        help="Lexware did not confirm an earlier attempt to create this customer's contact, "
        "so it may exist there already: Odoo looks it up before creating a new one.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._lexware_check_contact_writer(
                {name for name in CONTACT_FIELDS & vals.keys() if vals[name]}
            )
        return super().create(vals_list)

    def write(self, vals):
        self._lexware_check_contact_writer(CONTACT_FIELDS & vals.keys(), vals)
        return super().write(vals)

    def _lexware_check_contact_writer(self, names, vals=None):
        """AccessError unless an administrator or the connector changes these fields.

        Writing them unchanged passes: merging customers writes every field it keeps."""
        if not names or self.env.su or self.env.user.has_group("base.group_system"):
            return
        if vals is not None:
            names = {
                name
                for name in names
                if any((partner[name] or False) != (vals[name] or False) for partner in self)
            }
        if names:
            raise AccessError(
                self.env._(
                    "Only administrators can change the link of a customer to its Lexware "
                    "Office contact (%(fields)s).",
                    fields=", ".join(sorted(names)),
                )
            )

    def _lexware_is_private(self):
        self.ensure_one()
        return not self.is_company and not self.vat

    def _lexware_ensure_contact(self, company, client, needs_real_contact, commit):
        """The `EnsuredContact` of `company` for this customer.

        `self` is the commercial partner. A new contact's id is committed at once, so a
        crash afterwards does not create the contact a second time. A known contact is
        brought up to Odoo's data first, where it changed (`_lexware_keep_contact_current`).
        """
        self.ensure_one()
        partner = self.sudo().with_company(company)
        if (
            not needs_real_contact
            and company.lexware_use_collective_contact
            and partner._lexware_is_private()
        ):
            return EnsuredContact(None, False)
        if partner.lexware_contact_id:
            partner._lexware_keep_contact_current(client, commit)
            return EnsuredContact(partner.lexware_contact_id, False)
        if partner.lexware_contact_unsure:
            found = partner._lexware_find_contact(client)
            if found:
                partner.write({"lexware_contact_id": found, "lexware_contact_unsure": False})
                commit()
                return EnsuredContact(found, False)
        payload = build_contact(partner._lexware_contact_data())
        # On disk before the POST leaves: should the worker die before it stores the
        # answer, the next attempt for this customer, whichever invoice it is for, looks
        # the contact up before it creates one.
        partner.lexware_contact_unsure = True
        commit()
        try:
            answer = client.create_contact(payload)
        except LexwareOutcomeUnknownError as error:
            # The contact may exist now, the voucher surely does not: the contact is looked
            # up before it is created again, the invoice is simply tried again later (and
            # may still go back to draft).
            raise LexwareContactUnsureError(
                str(error), status=error.status, kind=error.kind
            ) from None
        except LexwareError:
            # Lexware answered: no contact was made.
            partner.lexware_contact_unsure = False
            commit()
            raise
        partner.write(
            {
                "lexware_contact_id": answer["id"],
                "lexware_contact_unsure": False,
                "lexware_contact_fingerprint": contact_fingerprint(payload),
            }
        )
        commit()
        return EnsuredContact(answer["id"], True)

    def _lexware_find_contact(self, client):
        """The id of the contact an earlier, unconfirmed POST created, or None."""
        # Compared with the name as it was sent: trimmed and, when long, shortened.
        payload = build_contact(self._lexware_contact_data())
        name = _contact_name(payload)
        email = (payload.get("emailAddresses", {}).get("business") or [""])[0]
        candidates = []
        if email:
            candidates = client.find_contacts(email=email)
        if not candidates and len(name) >= 3:
            candidates = client.find_contacts(name=name)
        for contact in candidates:
            if _contact_name(contact) == name:
                return contact["id"]
        return None

    def _lexware_contact_data(self):
        self.ensure_one()
        street = ", ".join(part for part in (self.street, self.street2) if part)
        return ContactData(
            is_company=bool(self.is_company or self.vat),
            name=self.name or "",
            first_name="",
            last_name="",
            street=street,
            zip=self.zip or "",
            city=self.city or "",
            country_code=self.country_id.code or "",
            email=self.email or "",
            phone=self.phone or self.mobile or "",
            vat_id=self.vat or "",
        )


def _contact_name(contact):
    if contact.get("company"):
        return (contact["company"].get("name") or "").strip()
    person = contact.get("person") or {}
    return " ".join(
        part for part in (person.get("firstName"), person.get("lastName")) if part
    ).strip()
