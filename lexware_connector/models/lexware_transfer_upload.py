"""The last step of a transfer: the invoice's files behind its voucher, then sent.

The PDF is the one stored on the invoice, so an upload repeated after an unknown outcome
sends the same bytes, which Lexware recognises by their checksum. For a customer whose
e-invoice format is XRechnung the XML follows. Lexware takes XML files only where the
organisation has its e-invoice feature on; elsewhere it answers 406
`inacceptable_file_extension`. Then the PDF alone stays, a note on the invoice says so, and
the connection remembers the refusal for a while instead of asking again for every invoice.
"""

from datetime import timedelta

from odoo import fields, models

from ..lexware.errors import (
    LexwareOutcomeUnknownError,
    LexwarePermanentError,
    LexwareRetryableError,
)
from ..lexware.voucher import MAX_FILE_SIZE
from .lexware_messages import ISSUE_WORDS
from .lexware_states import SENT

# How long a refusal of XML files stands before Lexware is asked again: the organisation
# may turn its e-invoice feature on (a new connection asks at once).
XML_REFUSAL_KEPT = timedelta(days=30)
XML_EXTENSION_REFUSED = "inacceptable_file_extension"


class LexwareTransfer(models.Model):
    # The queue is one model in files by concern; merging them back is what this avoids.
    _inherit = "lexware.transfer"  # pylint: disable=consider-merging-classes-inherited

    def _lexware_upload(self, client, pdf):
        move = self.move_id
        xml = move._lexware_invoice_xml()
        if not self.file_uploaded:
            self._lexware_post_file(client, pdf, "application/pdf")
            self.file_uploaded = True
            if xml:
                # The PDF is in Lexware: a retry goes on with the XML.
                self._lexware_commit()
        if xml:
            self._lexware_upload_xml(client, xml)
        self.write(
            {
                "state": SENT,
                "file_uploaded": True,
                "sent_at": fields.Datetime.now(),
                "last_error": False,
                "next_attempt_at": False,
                "outcome_unknown": False,
            }
        )
        self._lexware_tell(move._lexware_message_sent, self.voucher_id)

    def _lexware_post_file(self, client, invoice_file, content_type):
        self._lexware_note_post()
        try:
            client.upload_voucher_file(
                self.voucher_id, invoice_file.filename, invoice_file.content, content_type
            )
        except LexwareOutcomeUnknownError as error:
            # The same file twice is recognised by its checksum: repeating is safe.
            raise LexwareRetryableError(str(error), status=error.status, kind=error.kind) from None

    def _lexware_upload_xml(self, client, xml):
        """Upload the XRechnung XML, or say on the invoice why Lexware holds the PDF alone.

        A refusal of the XML does not fail the invoice: Lexware booked its voucher, and
        holds its PDF, the document the customer gets.
        """
        connection = self.company_id.sudo().lexware_connection_id
        refused = connection.xml_refused
        if refused and refused > fields.Datetime.now() - XML_REFUSAL_KEPT:
            reason = self._lexware_xml_refused_words()
        elif len(xml.content) > MAX_FILE_SIZE:
            size = f"{len(xml.content):,}"
            reason = self.env._(
                "The XML file has %(size)s bytes; Lexware accepts at most 5 MB (5,242,880 bytes).",
                size=size,
            )
        else:
            try:
                self._lexware_post_file(client, xml, "application/xml")
                return
            except LexwarePermanentError as error:
                if not _extension_refused(error):
                    reason = self._lexware_xml_issue_words(error)
                else:
                    connection.xml_refused = fields.Datetime.now()
                    self._lexware_commit()
                    reason = self._lexware_xml_refused_words()
        self._lexware_tell(self.move_id._lexware_message_pdf_alone, reason)

    def _lexware_xml_issue_words(self, error):
        issues = "; ".join(
            self.env._(ISSUE_WORDS[issue.reason]) if issue.reason in ISSUE_WORDS else str(issue)
            for issue in error.issues
        )
        return self.env._(
            "Lexware refused the XML file (HTTP %(status)s): %(issues)s",
            status=error.status,
            issues=issues or "-",
        )

    def _lexware_xml_refused_words(self):
        return self.env._(
            "This Lexware organisation takes no XML files: Lexware takes them only with its "
            "e-invoice feature on."
        )


def _extension_refused(error):
    return error.status == 406 and any(
        issue.reason == XML_EXTENSION_REFUSED for issue in error.issues
    )
