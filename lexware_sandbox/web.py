"""HTML pages: the OAuth consent page and the list of received vouchers.

Every value from a request or the store goes through html.escape.
"""

from html import escape

PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}td.num{{text-align:right}}</style>
</head><body>{body}</body></html>"""


def page(title, body):
    return PAGE.format(title=escape(title), body=body)


def error_page(message):
    return page("Fehler", f"<h1>Anfrage abgelehnt</h1><p id='error'>{escape(message)}</p>")


def consent_page(params, scopes, organizations):
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params.items()
    )
    scope_items = "".join(f"<li>{escape(scope)}</li>" for scope in scopes)
    body = (
        f"<h1>Zugriff erlauben</h1><p>Die App <strong id='app-name'>"
        f"{escape(params['client_id'])}</strong> möchte auf Lexware Office zugreifen:</p>"
        f"<ul id='scopes'>{scope_items}</ul>"
        f'<form method="post" action="/oauth2/authorize">{hidden}'
        f"{_organization_select(organizations)}"
        '<button type="submit" id="allow" name="decision" value="allow">Erlauben</button> '
        '<button type="submit" id="deny" name="decision" value="deny">Ablehnen</button>'
        "</form>"
    )
    return page("Lexware Office: Zugriff erlauben", body)


def _organization_select(organizations):
    if len(organizations) < 2:
        return ""
    options = "".join(
        f'<option value="{escape(org["id"])}">{escape(org["companyName"])}</option>'
        for org in organizations
    )
    return (
        '<p><label for="organization">Organisation</label> '
        f'<select id="organization" name="organizationId">{options}</select></p>'
    )


COLUMNS = (
    "Organisation",
    "Belegnummer",
    "Typ",
    "Datum",
    "Netto",
    "Steuer",
    "Brutto",
    "Kontakt",
    "Status",
    "Offen",
    "Beleg",
    "Zahlung",
)


def voucher_page(rows):
    """rows: dicts with the COLUMNS' values, newest first, plus file ids."""
    head = "".join(f"<th>{escape(name)}</th>" for name in COLUMNS)
    body_rows = "".join(_voucher_row(row) for row in rows)
    body = (
        "<h1>Lexware Sandbox: empfangene Belege</h1>"
        "<p><a href='/settings'>Einstellungen</a></p>"
        f"<p id='count'>{len(rows)} Belege</p>"
        f"<table id='vouchers'><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>"
    )
    return page("Lexware Sandbox", body)


def settings_page(settings, subscriptions):
    """The webhook switches, and the event subscriptions deliveries go to."""
    checked = " checked" if settings.webhook_http_allowed else ""
    items = "".join(
        f"<li>{escape(sub['eventType'])} → {escape(sub['callbackUrl'])}</li>"
        for sub in subscriptions
    )
    body = (
        "<h1>Lexware Sandbox: Einstellungen</h1>"
        '<form method="post" action="/settings" id="settings">'
        '<p><label><input type="checkbox" name="webhook_http_allowed" value="1"'
        f"{checked}> Webhooks auch an http-Adressen (Lexware ruft nur https auf)</label></p>"
        '<p><label>Wiederholungen <input name="webhook_retries" size="3" '
        f'value="{settings.webhook_retries}"></label> '
        '<label>erste Pause (s) <input name="webhook_retry_pause_s" size="5" '
        f'value="{settings.webhook_retry_pause_s}"></label> '
        '<label>Zeitlimit (s) <input name="webhook_timeout_s" size="5" '
        f'value="{settings.webhook_timeout_s}"></label></p>'
        '<button type="submit">Speichern</button></form>'
        f"<h2>Event-Abonnements</h2><ul id='subscriptions'>{items}</ul>"
        "<p><a href='/_sandbox/webhook-public-key'>Öffentlicher Schlüssel</a> · "
        "<a href='/_sandbox/webhook-deliveries'>Zustellungen</a> · <a href='/'>Belege</a></p>"
    )
    return page("Lexware Sandbox: Einstellungen", body)


def _voucher_row(row):
    links = " ".join(f'<a href="/files/{escape(file_id)}">Dokument</a>' for file_id in row["files"])
    cells = (
        f"<td>{escape(row['organization'])}</td>"
        f"<td class='number'>{escape(row['number'])}</td>"
        f"<td>{escape(row['type'])}</td>"
        f"<td>{escape(row['date'])}</td>"
        f"<td class='num'>{_money(row['net'])}</td>"
        f"<td class='num'>{_money(row['tax'])}</td>"
        f"<td class='num'>{_money(row['gross'])}</td>"
        f"<td>{escape(row['contact'])}</td>"
        f"<td class='status'>{escape(row['status'])}</td>"
        f"<td class='num open'>{_money(row['open'])}</td>"
        f"<td>{links}</td>"
        f"<td>{_payment_forms(row) if row['payable'] else ''}</td>"
    )
    return f"<tr data-id='{escape(row['id'])}'>{cells}</tr>"


def _payment_forms(row):
    """What the web app's bank reconciliation does: pay in full, pay a part, settle with a
    cash discount (Skonto), or void. Amounts take a decimal point or comma."""
    action = f"/vouchers/{escape(row['id'])}"
    return (
        f'<form method="post" action="{action}/pay" class="pay-full">'
        '<button type="submit">Bezahlt</button></form>'
        f'<form method="post" action="{action}/pay" class="pay-part">'
        '<input name="amount" size="7" placeholder="Betrag" required>'
        '<button type="submit">Teilzahlung</button></form>'
        f'<form method="post" action="{action}/pay" class="pay-discount">'
        '<input name="amount" size="7" placeholder="Betrag" required>'
        '<input name="discount" size="6" placeholder="Skonto" required>'
        '<button type="submit">Mit Skonto</button></form>'
        f'<form method="post" action="{action}/void" class="void">'
        '<button type="submit">Stornieren</button></form>'
    )


def _money(value):
    return f"{value:.2f}"
