"""Merging customers keeps one Lexware contact per company (issue 18).

Odoo's merge writes onto the surviving partner, for the merging user's company only, the
last value of each field it finds set among the partners; the merged partners are then
deleted. The link to Lexware is per company, so it is moved here, for every company, before
the merge copies anything: the survivor keeps its own contact, or takes over a merged one's,
and its invoices go there; no second contact is made in Lexware, which cannot delete one.
"""

from odoo import models

from .res_partner import CONTACT_FIELDS


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        dst_partner._lexware_take_over_contacts(src_partners)
        return super()._update_values(src_partners, dst_partner)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _lexware_take_over_contacts(self, merged):
        """Per company: this partner keeps its contact or takes the first merged one's, with
        its fingerprint; the merged partners let go of theirs, so that the merge's copying
        finds nothing to change. A contact left behind is named in a note."""
        self.ensure_one()
        names = sorted(CONTACT_FIELDS)
        for company in self.env["res.company"].sudo().search([]):
            survivor = self.sudo().with_company(company)
            others = (
                merged.sudo()
                .with_company(company)
                .filtered(lambda partner: any(partner[name] for name in names))
            )
            if not others:
                continue
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
