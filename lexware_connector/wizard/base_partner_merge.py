"""Merging customers keeps one Lexware contact per company (issue 18).

Odoo's merge writes onto the surviving partner, for the merging user's company only, the
last value of each field it finds set among the partners, and then deletes the others. The
link to Lexware is per company, so it is moved first, for every company: the survivor keeps
its own contact or takes over a merged one's (`res.partner._lexware_take_over_contacts`).
"""

from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        dst_partner._lexware_take_over_contacts(src_partners)
        return super()._update_values(src_partners, dst_partner)
