"""The invoice's documents, made the way Odoo's Send & Print makes them, for Lexware.

`account.move.send` renders the invoice PDF (account_edi_ubl_cii embeds its Factur-X XML,
and makes the XRechnung XML beside it for a customer who asks for that format) and stores
it on the invoice as `invoice_pdf_report_id`. Lexware gets that file byte for byte, and a
later Send & Print takes the stored one instead of rendering again: the customer, Odoo and
Lexware hold one document, rendered once. Nothing is sent here: no email, no Peppol.
"""

import functools
import logging
import subprocess
from typing import NamedTuple

from markupsafe import Markup

from odoo import models
from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..lexware.voucher import MAX_FILE_SIZE
from .lexware_transfer import LexwareTransferFailure

_logger = logging.getLogger(__name__)

# The e-invoice format whose XML goes to Lexware beside the PDF (Lexware reads XRechnung).
XRECHNUNG = "xrechnung"


@functools.cache
def renders_batches():
    """Whether this wkhtmltopdf has Odoo's patched Qt. Odoo splits the PDF of several
    invoices rendered in one run by the outlines only that build writes; without them
    (Debian's wkhtmltopdf, say) such a batch fails as a whole, so each invoice gets a run
    of its own."""
    try:
        answer = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return b"patched qt" in answer.stdout.lower()


class InvoiceFile(NamedTuple):
    filename: str
    content: bytes


class AccountMove(models.Model):
    # One concern per file, as issue 15 asks, rather than one file per model.
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    # -- making the documents -------------------------------------------------------------

    def _lexware_generate_documents(self):
        """Make the stored documents of those of these invoices that have none, one
        rendering per company; {move id: Odoo's reason} for the invoices left without a
        PDF (`_lexware_pdf_failure` puts it in words).

        Runs as the engine (superuser) in the invoice's company. Should a rendering fail
        as a whole, its invoices are made again one by one, so that only the bad one fails.
        """
        failures = {}
        moves = self.sudo().filtered(lambda move: not move.invoice_pdf_report_id)
        for company, company_moves in moves.grouped("company_id").items():
            failures.update(company_moves.with_company(company)._lexware_generate_batch())
        return failures

    def _lexware_generate_batch(self):
        try:
            with self.env.cr.savepoint():
                failures = self._lexware_generate_as_send_and_print()
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # Another renderer stored this document meanwhile: not the invoice's failure.
            raise
        except Exception as error:  # pylint: disable=broad-exception-caught
            if len(self) > 1:
                _logger.info("Lexware: a batch of %s documents failed; one by one", len(self))
                failures = {}
                for move in self:
                    failures.update(move._lexware_generate_batch())
                return failures
            _logger.warning(
                "Lexware: the PDF of invoice %s could not be made", self.id, exc_info=True
            )
            failures = {self.id: _error_text(error)}
        return failures

    def _lexware_generate_as_send_and_print(self):
        """Odoo's document generation of Send & Print, without its sending; {move id:
        Odoo's reason} for the invoices it left without a PDF."""
        send = self.env["account.move.send"].with_context(force_report_rendering=True)
        send._check_move_constrains(self)
        send._check_invoice_report(self)
        unsent = self.filtered(lambda move: not move.is_move_sent)
        invoices_data = {
            move: {
                # Documents only: neither email nor Peppol.
                "sending_methods": set(),
                "invoice_edi_format": send._get_default_invoice_edi_format(move),
                "extra_edis": send._get_default_extra_edis(move),
                "pdf_report": send._get_default_pdf_report_id(move),
                "author_user_id": self.env.user.id,
                "author_partner_id": self.env.user.partner_id.id,
            }
            for move in self
        }
        send._generate_invoice_documents(invoices_data)
        # Odoo marks an invoice sent when it links its PDF; Lexware having it is not the
        # customer having it, and the accountant's "not sent" list must keep it.
        unsent.filtered("is_move_sent").write({"is_move_sent": False})
        failures = {}
        for move, data in invoices_data.items():
            if data.get("error"):
                failures[move.id] = send._format_error_text(data["error"])
            elif not move.invoice_pdf_report_id:
                failures[move.id] = self.env._("Odoo stored no PDF.")
        return failures

    def _lexware_pdf_failure(self, reason):
        return self.env._("The invoice PDF could not be made: %(reason)s", reason=reason)

    # -- the files Lexware gets -----------------------------------------------------------

    def _lexware_invoice_pdf(self):
        """The invoice's stored PDF as `InvoiceFile`, made now when the document cron has
        not made it yet. Never another PDF of the chatter: the first one there may be the
        customer's purchase order, attached to the draft."""
        self.ensure_one()
        move = self.sudo()
        if not move.invoice_pdf_report_id:
            failure = move._lexware_generate_documents().get(move.id)
            if failure:
                raise LexwareTransferFailure(self._lexware_pdf_failure(failure))
        attachment = move.invoice_pdf_report_id
        content = attachment.raw
        if not content:
            # Odoo reads a file missing from its filestore (a database restored without
            # it, say) as empty: Lexware would keep an empty document for good.
            raise LexwareTransferFailure(
                self.env._(
                    "The stored invoice PDF %(name)s is empty: its file is missing from "
                    "Odoo's filestore. Restore the file, or delete the attachment so that "
                    "Odoo makes the PDF again, then retry.",
                    name=attachment.name,
                )
            )
        if len(content) > MAX_FILE_SIZE:
            size = f"{len(content):,}"
            raise LexwareTransferFailure(
                self.env._(
                    "The invoice PDF has %(size)s bytes; Lexware accepts at most 5 MB "
                    "(5,242,880 bytes).",
                    size=size,
                )
            )
        return InvoiceFile(move._lexware_filename(attachment, ".pdf"), content)

    def _lexware_invoice_xml(self):
        """The XRechnung XML stored beside the PDF as `InvoiceFile`, for a customer whose
        e-invoice format is XRechnung; else None."""
        self.ensure_one()
        move = self.sudo()
        partner = move.partner_id.with_company(move.company_id)
        if partner.invoice_edi_format != XRECHNUNG or not move.ubl_cii_xml_id:
            return None
        attachment = move.ubl_cii_xml_id
        return InvoiceFile(move._lexware_filename(attachment, ".xml"), attachment.raw)

    def _lexware_filename(self, attachment, extension):
        """The attachment's name; Lexware tells a file's type by its extension."""
        name = attachment.name or ""
        if name.lower().endswith(extension):
            return name
        return (self.name or "invoice").replace("/", "_") + extension

    def _lexware_message_pdf_alone(self, reason):
        """Say on the invoice that Lexware holds its PDF without the XRechnung XML."""
        self.ensure_one()
        body = Markup("%s<br/>%s") % (
            self.env._("Lexware Office holds the invoice PDF, without the XRechnung XML."),
            reason,
        )
        self.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")


def _error_text(error):
    if isinstance(error, UserError) and error.args:
        return str(error.args[0])
    return str(error) or type(error).__name__
