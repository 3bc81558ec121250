"""The invoice Lexware gets is the invoice the customer gets: Odoo's Send & Print document,
stored on the invoice, made ahead of the transfer, uploaded byte for byte."""

import io
from unittest.mock import patch

import psycopg2

from odoo.tools import config
from odoo.tools.pdf import OdooPdfFileReader

from ..models import account_move_document, lexware_document_cron
from .test_transfer_common import FAKE_PDF, TransferCase


class DocumentCase(TransferCase):
    def setUp(self):
        super().setUp()
        self.renderings = []
        # As with Odoo's patched wkhtmltopdf: several invoices in one rendering.
        patcher = patch.object(lexware_document_cron, "renders_batches", return_value=True)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _counting(self, broken_ref=None):
        """The fake rendering, counting what it renders; an invoice with `broken_ref` as
        its reference breaks the rendering (of its whole batch)."""

        def render(move):
            if broken_ref and move.ref == broken_ref:
                raise ValueError("wkhtmltopdf: Exit with code 1")
            self.renderings.append(move.id)
            return FAKE_PDF + move.name.encode()

        self._fake_pdf_rendering(render)

    def _batch_sizes(self):
        """The number of invoices of each rendering from now on."""
        sizes = []
        send_model = type(self.env["account.move.send"])
        rendering = send_model._prepare_invoice_pdf_report

        def prepare(send, invoices_data):
            sizes.append(len(invoices_data))
            return rendering(send, invoices_data)

        patcher = patch.object(send_model, "_prepare_invoice_pdf_report", prepare)
        patcher.start()
        self.addCleanup(patcher.stop)
        return sizes

    def _make_documents(self):
        return self.env["lexware.transfer"]._cron_make_documents()

    def _uploaded(self, move):
        """The files Lexware holds behind the invoice's voucher: [(filename, content)]."""
        return [self.sandbox.store.file(file_id) for file_id in self._voucher(move)["files"]]

    def _requests(self):
        return self.sandbox.counters().get("requests", 0)


class TestDocumentsAhead(DocumentCase):
    def test_documents_are_made_ahead_in_one_batch_and_uploaded_as_stored(self):
        self._counting()
        mails = self.env["mail.mail"].search_count([])
        moves = [self._invoice([(10.0 + n, self.tax_19)]) for n in range(2)]
        self.assertFalse(self.renderings, "posting renders nothing")
        requests = self._requests()
        triggers = self._transfer_triggers()

        self.assertEqual(self._make_documents(), 2)

        self.assertEqual(self._requests(), requests, "making documents asks Lexware nothing")
        self.assertGreater(self._transfer_triggers(), triggers, "the transfer is woken")
        self.assertEqual(sorted(self.renderings), sorted(m.id for m in moves))
        for move in moves:
            self.assertEqual(move.lexware_state, "pending")
            self.assertEqual(move.invoice_pdf_report_id.raw, FAKE_PDF + move.name.encode())
            self.assertFalse(move.is_move_sent, "Lexware having it is not the customer")
        self.assertFalse(self._make_documents(), "nothing is made twice")

        self._run_cron()

        self.assertEqual(len(self.renderings), 2, "the transfer renders nothing again")
        for move in moves:
            self.assertEqual(move.lexware_state, "sent")
            [(filename, content)] = self._uploaded(move)
            self.assertEqual(content, move.invoice_pdf_report_id.raw)
            self.assertEqual(filename, move.invoice_pdf_report_id.name)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails, "no email")

        # A later Send & Print sends the customer that same document.
        send = self.env["account.move.send"]
        attachments = send._generate_and_send_invoices(moves[0], sending_methods={"email"})
        self.assertEqual(len(self.renderings), 2)
        self.assertIn(moves[0].invoice_pdf_report_id, attachments)
        mail = moves[0].message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertEqual(
            mail.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf").raw,
            moves[0].invoice_pdf_report_id.raw,
        )

    def test_patched_wkhtmltopdf_renders_batches_and_debians_one_invoice_a_run(self):
        self._counting()
        sizes = self._batch_sizes()
        for n in range(3):
            self._invoice([(10.0 + n, self.tax_19)])
        self.assertEqual(self._make_documents(), 3)
        self.assertEqual(sizes, [2, 1], "a small first batch, then the rest in one")

        sizes.clear()
        for n in range(2):
            self._invoice([(20.0 + n, self.tax_19)])
        with patch.object(lexware_document_cron, "renders_batches", return_value=False):
            self.assertEqual(self._make_documents(), 2)
        self.assertEqual(sizes, [1, 1])

    def test_a_document_another_renderer_stored_meanwhile_fails_no_invoice(self):
        self._counting()
        move = self._invoice([(10.0, self.tax_19)])
        transfers = type(self.env["lexware.transfer"])
        making = transfers._lexware_make_documents
        conflicts = []

        def conflict_once(rows):
            if not conflicts:
                conflicts.append(rows.move_id.id)
                raise psycopg2.errors.SerializationFailure("concurrent update")
            return making(rows)

        with patch.object(transfers, "_lexware_make_documents", conflict_once):
            self.assertEqual(self._make_documents(), 1)

        self.assertEqual(conflicts, [move.id])
        self.assertEqual(move.lexware_state, "pending")
        self.assertFalse(move.lexware_error)
        self.assertTrue(move.invoice_pdf_report_id)

    def test_a_document_the_document_cron_stored_meanwhile_delays_the_transfer_no_further(self):
        self._counting()
        self._known_customer()
        move = self._invoice([(10.0, self.tax_19)])
        moves = type(move)
        pdf_of = moves._lexware_invoice_pdf
        conflicts = []

        def conflict_once(invoice):
            if invoice == move and not conflicts:
                conflicts.append(invoice.id)
                raise psycopg2.errors.SerializationFailure("concurrent update")
            return pdf_of(invoice)

        with patch.object(moves, "_lexware_invoice_pdf", conflict_once):
            self._run_cron()

        self.assertEqual(conflicts, [move.id])
        self.assertEqual(move.lexware_state, "sent")
        self.assertFalse(move.lexware_error)
        self.assertFalse(move.lexware_transfer_ids.outcome_unknown, "nothing to look up")
        self.assertEqual(len(self._vouchers(move)), 1)

    def test_the_wkhtmltopdf_build_is_told_by_its_version(self):
        for version, batches in (
            (b"wkhtmltopdf 0.12.6.1 (with patched qt)", True),
            (b"wkhtmltopdf 0.12.6", False),
        ):
            with (
                self.subTest(version=version.decode()),
                patch.object(account_move_document.subprocess, "run") as run,
            ):
                run.return_value.stdout = version
                account_move_document.renders_batches.cache_clear()
                self.addCleanup(account_move_document.renders_batches.cache_clear)
                self.assertIs(account_move_document.renders_batches(), batches)

    def test_an_invoice_sent_by_send_and_print_first_goes_with_that_document(self):
        self._counting()
        move = self._invoice([(10.0, self.tax_19)])
        self.env["account.move.send"]._generate_and_send_invoices(move, sending_methods={"manual"})
        stored = move.invoice_pdf_report_id
        self.assertTrue(stored)

        self._run_cron()

        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(self._uploaded(move), [(stored.name, stored.raw)])
        self.assertEqual(self.renderings, [move.id], "rendered once")

    def test_a_failed_rendering_fails_that_invoice_and_the_batch_goes_on(self):
        self._counting(broken_ref="kaputt")
        good = self._invoice([(10.0, self.tax_19)])
        bad = self._invoice([(20.0, self.tax_19)], ref="kaputt")

        self._make_documents()

        self.assertEqual(bad.lexware_state, "failed")
        self.assertIn("The invoice PDF could not be made", bad.lexware_error)
        self.assertIn("wkhtmltopdf: Exit with code 1", bad.lexware_error)
        self.assertIn("wkhtmltopdf", bad.message_ids[0].body)
        self.assertFalse(bad.invoice_pdf_report_id)
        self.assertTrue(good.invoice_pdf_report_id)
        self.assertEqual(good.lexware_state, "pending")

        self._run_cron()

        self.assertEqual(good.lexware_state, "sent")
        self.assertFalse(self._vouchers(bad), "an invoice without its PDF does not go")

    def test_the_transfer_makes_a_missing_document_itself_and_fails_one_it_cannot(self):
        self._counting(broken_ref="kaputt")
        good = self._invoice([(10.0, self.tax_19)])
        bad = self._invoice([(20.0, self.tax_19)], ref="kaputt")

        self._run_cron()

        self.assertEqual(good.lexware_state, "sent")
        self.assertEqual(self._uploaded(good)[0][1], good.invoice_pdf_report_id.raw)
        self.assertEqual(bad.lexware_state, "failed")
        self.assertIn("wkhtmltopdf: Exit with code 1", bad.lexware_error)
        self.assertFalse(self._vouchers(bad))

    def test_a_stored_pdf_missing_from_the_filestore_fails_the_invoice_not_uploaded_empty(self):
        self._counting()
        move = self._invoice([(10.0, self.tax_19)])
        self._make_documents()
        attachment = move.invoice_pdf_report_id
        with patch.object(type(attachment), "_file_read", return_value=b""):
            attachment.invalidate_recordset(["raw", "datas"])
            self._run_cron()

        self.assertEqual(move.lexware_state, "failed")
        self.assertIn("missing from Odoo's filestore", move.lexware_error)
        self.assertIn(attachment.name, move.lexware_error)
        self.assertFalse(self._vouchers(move), "nothing goes without its document")


class TestFacturX(DocumentCase):
    render_real_pdf = True

    def test_the_uploaded_pdf_carries_the_factur_x_xml(self):
        customer = self.customer.copy({"name": "Kunde Rechnung GmbH", "vat": "DE123456788"})
        move = self._invoice([(100.0, self.tax_19)], partner=customer)

        # What a server does: under test, Odoo skips both the rendering and the embedding.
        with patch.dict(config.options, {"test_enable": False}):
            self._make_documents()
        self._run_cron()

        self.assertEqual(move.lexware_state, "sent")
        [(_filename, content)] = self._uploaded(move)
        self.assertEqual(content, move.invoice_pdf_report_id.raw)
        embedded = dict(OdooPdfFileReader(io.BytesIO(content), strict=False).getAttachments())
        self.assertIn("factur-x.xml", embedded)
        self.assertIn(move.name.encode(), embedded["factur-x.xml"])


class TestXRechnung(DocumentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.write(
            {"phone": "+49 30 1234567", "email": "rechnung@firma.example", "vat": "DE123456788"}
        )
        cls.public_customer = cls.customer.copy(
            {"name": "Stadtwerke Berlin", "vat": "DE123456788", "invoice_edi_format": "xrechnung"}
        )

    def _xml_invoice(self, amount=10.0):
        return self._invoice([(amount, self.tax_19)], partner=self.public_customer)

    def _e_invoice_organization(self):
        key = f"key-e-invoice-{self._testMethodName}"
        self.organization_id = self.sandbox.add_organization(
            "Org E-Rechnung", api_key=key, e_invoice=True
        )
        self._connect_company(self.company, api_key=key)

    def test_the_xml_goes_beside_the_pdf_where_lexware_takes_xml(self):
        self._e_invoice_organization()
        move = self._xml_invoice()

        self._run_cron()

        self.assertEqual(move.lexware_state, "sent")
        self.assertTrue(move.ubl_cii_xml_id)
        self.assertEqual(
            self._uploaded(move),
            [
                (move.invoice_pdf_report_id.name, move.invoice_pdf_report_id.raw),
                (move.ubl_cii_xml_id.name, move.ubl_cii_xml_id.raw),
            ],
        )

    def test_where_lexware_refuses_xml_the_pdf_goes_alone_and_the_invoice_says_so(self):
        self._known_customer()
        first = self._xml_invoice()
        self._make_documents()
        self.assertTrue(first.ubl_cii_xml_id, "Odoo made the XRechnung XML")
        requests = self._requests()

        self._run_cron()

        self.assertEqual(first.lexware_state, "sent")
        self.assertEqual(
            self._uploaded(first),
            [(first.invoice_pdf_report_id.name, first.invoice_pdf_report_id.raw)],
        )
        notes = first.message_ids.mapped("body")
        self.assertTrue(any("without the XRechnung XML" in body for body in notes), notes)
        self.assertTrue(any("e-invoice feature" in body for body in notes), notes)
        # contact, voucher, PDF, the refused XML
        self.assertEqual(self._requests() - requests, 4)

        # The refusal is remembered: the next invoice costs no XML request.
        second = self._xml_invoice(20.0)
        self._make_documents()
        requests = self._requests()
        self._run_cron()
        self.assertEqual(second.lexware_state, "sent")
        self.assertEqual(self._requests() - requests, 2, "voucher and PDF")
        self.assertTrue(second.ubl_cii_xml_id)
        notes = second.message_ids.mapped("body")
        self.assertTrue(any("without the XRechnung XML" in body for body in notes), notes)
