"""Customers stay current in Lexware (issue 18): a changed customer's contact is updated
before its next voucher, with what Lexware holds besides kept; an unchanged one costs no
request; what cannot be written is left alone with a note; the invoice goes in any case."""

from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from ..lexware import client as lexware_client
from ..lexware.client import LexwareClient
from ..models import res_partner_contact_update as contact_update
from .test_transfer_common import TransferCase

CONTACT_COUNTERS = ("contacts_read", "contacts_updated", "contacts_created")
# Lexware's own data on the contact, typed in its web app: one entry per list, writable.
WEB_APP_DATA = {
    "note": "Zahlt pünktlich",
    "emailAddresses": {
        "business": ["buchhaltung@kunde-bau.example"],
        "private": ["chef@kunde-bau.example"],
    },
    "phoneNumbers": {"mobile": ["+49 170 1234567"]},
}


class TestContactsUpdate(TransferCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            "lx_contact_accountant",
            groups="base.group_user,base.group_partner_manager,account.group_account_manager",
        )
        cls.billing = new_test_user(
            cls.env,
            "lx_contact_billing",
            groups="base.group_user,base.group_partner_manager,account.group_account_invoice",
        )

    # -- helpers ----------------------------------------------------------------------------

    def _partner(self, partner=None):
        return (partner or self.customer).sudo().with_company(self.company)

    def _contact(self, partner=None):
        contact_id = self._partner(partner).lexware_contact_id
        return next(c for c in self.sandbox.contacts() if c["id"] == contact_id)

    def _counts(self):
        counters = self.sandbox.counters()
        return {name: counters[name] for name in ("requests", *CONTACT_COUNTERS)}

    def _spent(self, before):
        return {name: count - before[name] for name, count in self._counts().items()}

    def _send_one(self, partner=None):
        """An invoice sent; what it cost in requests."""
        before = self._counts()
        move = self._invoice([(100.0, self.tax_19)], partner=partner)
        self._run_cron()
        self.assertEqual(move.lexware_state, "sent")
        self.assertEqual(
            self._voucher(move)["contactId"], self._partner(partner).lexware_contact_id
        )
        return self._spent(before)

    def _notes(self, partner=None, containing="Lexware Office"):
        messages = (partner or self.customer).message_ids
        return messages.filtered(lambda m: containing in (m.body or "")).mapped("body")

    def _move_customer(self):
        self.customer.with_context(no_vat_validation=True).write(
            {
                "street": "Neue Straße 5",
                "zip": "14467",
                "city": "Potsdam",
                "vat": "DE123456789",
                "email": "rechnung@kunde-bau.example",
            }
        )

    # -- before the voucher -----------------------------------------------------------------

    def test_unchanged_customer_costs_no_contact_request(self):
        self._known_customer()
        self.assertTrue(self._partner().lexware_contact_fingerprint, "set on creation")
        spent = self._send_one()
        self.assertEqual(spent, {"requests": 2, **dict.fromkeys(CONTACT_COUNTERS, 0)})
        # A contact known from before the fingerprint: one read to compare, then nothing.
        self._partner().lexware_contact_fingerprint = False
        self.assertEqual(self._send_one()["contacts_read"], 1)
        self.assertTrue(self._partner().lexware_contact_fingerprint)
        self.assertEqual(self._contact()["version"], 0, "never written")

    def test_changed_customer_is_updated_with_lexwares_own_data_kept(self):
        self._known_customer()
        contact_id = self._partner().lexware_contact_id
        self.sandbox.edit_contact_in_web_app(contact_id, **WEB_APP_DATA)
        self._move_customer()
        spent = self._send_one()
        self.assertEqual(
            spent,
            {"requests": 4, "contacts_read": 1, "contacts_updated": 1, "contacts_created": 0},
        )
        contact = self._contact()
        self.assertEqual(contact["version"], 2)  # the web app's save, then ours
        self.assertEqual(
            contact["company"], {"name": "Kunde Bau GmbH", "vatRegistrationId": "DE123456789"}
        )
        self.assertEqual(
            contact["addresses"],
            {
                "billing": [
                    {
                        "street": "Neue Straße 5",
                        "zip": "14467",
                        "city": "Potsdam",
                        "countryCode": "DE",
                    }
                ]
            },
        )
        self.assertEqual(
            contact["emailAddresses"],
            {"business": ["rechnung@kunde-bau.example"], "private": ["chef@kunde-bau.example"]},
        )
        self.assertEqual(contact["phoneNumbers"], WEB_APP_DATA["phoneNumbers"])
        self.assertEqual(contact["note"], "Zahlt pünktlich")
        self.assertEqual(contact["roles"]["customer"]["number"], 10000)
        self.assertEqual(
            self._notes(containing="was updated"),
            [
                "<p>Lexware Office: the contact of this customer was updated "
                "(billing address, VAT ID, email).</p>"
            ],
        )
        self.assertEqual(self._send_one()["requests"], 2, "the next invoice costs nothing more")

    def test_stale_version_is_read_again_and_written_once_more(self):
        self._known_customer()
        contact_id = self._partner().lexware_contact_id
        read = LexwareClient.get_contact
        for status in (409, 406):
            self.sandbox.configure(stale_contact_status=status)
            edits = iter([{"note": f"Notiz {status}"}])

            def get_then_edit(client, wanted_id, edits=edits):
                """Lexware's web app saves the contact right after the connector's read."""
                answer = read(client, wanted_id)
                change = next(edits, None)
                if change:
                    self.sandbox.edit_contact_in_web_app(wanted_id, **change)
                return answer

            with self.subTest(status=status):
                self.customer.phone = f"+49 30 {status}"
                before = self._counts()
                with patch.object(LexwareClient, "get_contact", get_then_edit):
                    self.customer.with_user(self.accountant).action_lexware_update_contact()
                spent = self._spent(before)
                self.assertEqual((spent["contacts_read"], spent["contacts_updated"]), (2, 1))
                contact = self._contact()
                self.assertEqual(contact["note"], f"Notiz {status}")
                self.assertEqual(contact["phoneNumbers"], {"business": [f"+49 30 {status}"]})
                self.assertEqual(contact_id, contact["id"])

    def test_refused_credentials_on_the_update_are_the_connections_problem(self):
        self._known_customer()
        self.customer.email = "rechnung@kunde-bau.example"
        self.company.sudo().lexware_connection_id.api_key = "a-deleted-key"
        move = self._invoice([(100.0, self.tax_19)])
        self._run_cron()
        self.assertEqual(move.lexware_state, "pending", "waits for the connection, as before")
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
        self.assertFalse(self._notes(containing="contact of this customer"))

    # -- what the connector leaves alone ----------------------------------------------------

    def test_contact_with_more_than_the_api_writes_is_left_alone_with_one_note(self):
        self._known_customer()
        contact_id = self._partner().lexware_contact_id
        billing = [
            {"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "countryCode": "DE"},
            {"street": "Filiale 2", "zip": "80331", "city": "München", "countryCode": "DE"},
        ]
        self.sandbox.edit_contact_in_web_app(contact_id, addresses={"billing": billing})
        self.customer.city = "Potsdam"
        spent = self._send_one()
        self.assertEqual((spent["contacts_read"], spent["contacts_updated"]), (1, 0))
        self.assertEqual(self._contact()["addresses"]["billing"], billing)
        notes = self._notes(containing="was not updated")
        self.assertEqual(len(notes), 1)
        self.assertIn("(addresses (billing))", notes[0])
        self.assertEqual(self._send_one()["requests"], 2)
        self.assertEqual(len(self._notes(containing="was not updated")), 1, "once, not per invoice")

    def test_failed_update_lets_the_invoice_go_and_is_tried_with_the_next(self):
        self._known_customer()
        fingerprint = self._partner().lexware_contact_fingerprint
        self.customer.email = "rechnung@kunde-bau.example"
        self.sandbox.fail_next(503, times=lexware_client.DEFAULT_MAX_ATTEMPTS, method="PUT")
        self.addCleanup(self.sandbox.app.failures.clear)
        with patch.object(lexware_client, "BACKOFF_BASE", 0.001):
            spent = self._send_one()
        self.assertEqual(spent["contacts_updated"], 0)
        self.assertEqual(self._partner().lexware_contact_fingerprint, fingerprint)
        notes = self._notes(containing="could not be updated")
        self.assertEqual(len(notes), 1)
        self.assertIn("server problem (HTTP 503)", notes[0])
        # A contact endpoint that hangs: the update's own time runs out, not the invoice's.
        with patch.object(contact_update, "UPDATE_TIME_MAX", 0.0):
            self.assertEqual(self._send_one()["contacts_read"], 0)
        self.assertIn("did not answer in time", self._notes(containing="could not be updated")[0])
        self.assertEqual(self._partner().lexware_contact_fingerprint, fingerprint)
        self.assertEqual(self._send_one()["contacts_updated"], 1)
        self.assertEqual(
            self._contact()["emailAddresses"], {"business": ["rechnung@kunde-bau.example"]}
        )

    def test_refused_update_and_other_kind_are_left_with_a_note(self):
        self._known_customer()
        fingerprint = self._partner().lexware_contact_fingerprint
        self.customer.country_id = self.env.ref("base.xk")  # a code the sandbox refuses
        action = self.customer.with_user(self.accountant).action_lexware_update_contact()
        self.assertEqual(
            action["params"]["message"],
            "Kunde Bau GmbH: not updated (see the note on the customer)",
        )
        notes = self._notes(containing="refused to update")
        self.assertEqual(len(notes), 1)
        self.assertIn("HTTP 406: addresses.billing[0].countryCode: invalid_value", notes[0])
        self.assertNotEqual(self._partner().lexware_contact_fingerprint, fingerprint)
        # Odoo now keeps the customer as a person: Lexware's company is not turned into one.
        self.customer.write({"is_company": False, "country_id": self.env.ref("base.de").id})
        action = self.customer.with_user(self.accountant).action_lexware_update_contact()
        self.assertIn("left as it is", action["params"]["message"])
        self.assertEqual(len(self._notes(containing="holds it as a company, Odoo as a person")), 1)
        self.assertEqual(self._contact()["version"], 0, "never written")

    # -- merged customers -------------------------------------------------------------------

    def test_merged_customers_go_to_the_survivors_contact(self):
        self._known_customer()
        contact_id = self._partner().lexware_contact_id
        other_company = self.env["res.company"].create({"name": "Zweite GmbH"})
        self.customer.sudo().with_company(other_company).lexware_contact_id = "other-org-contact"
        survivor = self.env["res.partner"].create(
            {
                "name": "Kunde Bau GmbH & Co. KG",
                "is_company": True,
                "email": self.customer.email,
                "country_id": self.env.ref("base.de").id,
            }
        )
        self.accountant.company_ids |= other_company
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(self.accountant)
            .create(
                {
                    "partner_ids": [Command.set([self.customer.id, survivor.id])],
                    "dst_partner_id": survivor.id,
                }
            )
        )
        wizard.action_merge()
        self.assertFalse(self.customer.exists())
        self.assertEqual(self._partner(survivor).lexware_contact_id, contact_id)
        self.assertEqual(
            survivor.sudo().with_company(other_company).lexware_contact_id, "other-org-contact"
        )
        spent = self._send_one(survivor)
        self.assertEqual(spent["contacts_created"], 0)
        self.assertEqual(self._contact(survivor)["company"]["name"], "Kunde Bau GmbH & Co. KG")

    # -- the accountants' action ------------------------------------------------------------

    def test_accountant_updates_or_creates_contacts_by_hand(self):
        self._known_customer()
        newcomer = self.env["res.partner"].create({"name": "Neukunde GmbH", "is_company": True})
        self.customer.phone = "+49 30 555"
        action = (
            (self.customer | newcomer).with_user(self.accountant).action_lexware_update_contact()
        )
        self.assertEqual(
            action["params"]["message"],
            "Kunde Bau GmbH: updated\nNeukunde GmbH: created",
        )
        self.assertEqual(self._contact()["phoneNumbers"], {"business": ["+49 30 555"]})
        self.assertEqual(self._contact(newcomer)["company"], {"name": "Neukunde GmbH"})
        before = self._counts()
        action = self.customer.with_user(self.accountant).action_lexware_update_contact()
        self.assertEqual(action["params"]["message"], "Kunde Bau GmbH: already up to date")
        self.assertEqual(self._spent(before)["contacts_read"], 1, "read afresh when asked")
        server_action = self.env.ref("lexware_connector.action_lexware_update_contact")
        self.assertEqual(server_action.binding_model_id.model, "res.partner")
        self.assertEqual(server_action.groups_id, self.env.ref("account.group_account_manager"))

    def test_only_accountants_of_a_connected_company_update_by_hand(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.billing).action_lexware_update_contact()
        with self.assertRaises(AccessError):
            self._partner().with_user(self.billing).write({"lexware_contact_fingerprint": "x"})
        with self.assertRaises(AccessError):
            self._partner().with_user(self.accountant).write({"lexware_contact_fingerprint": "x"})
        self.company.sudo().lexware_connection_state = "reconnect_needed"
        with self.assertRaisesRegex(UserError, "not connected to Lexware Office"):
            self.customer.with_user(self.accountant).action_lexware_update_contact()
