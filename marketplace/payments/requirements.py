"""What Stripe still needs from a payee, in words a model or an agency understands.

Stripe names what is missing by field (`individual.dob.day`, `tos_acceptance.date`...) and
says why an account is disabled by code (`requirements.past_due`...). Nobody outside Stripe
should have to read those: each is mapped here, once, to something to do. A field or a
reason we have not mapped reads as GENERIC; several fields that ask for the same thing
(a date of birth's day, month and year) read as one sentence."""

from __future__ import annotations

from collections.abc import Iterable

GENERIC = "Stripe needs more information: finish setting up your payout account."

# The most specific prefix wins: `individual.verification.additional_document` before
# `individual.verification`. A prefix matches the field itself and anything below it.
FIELD_SENTENCES: dict[str, str] = {
    "tos_acceptance": "Accept Stripe's terms of service.",
    "external_account": "Add the bank account your earnings are paid into.",
    "individual.dob": "Add your date of birth.",
    "individual.first_name": "Add your first name.",
    "individual.last_name": "Add your last name.",
    "individual.email": "Add your e-mail address.",
    "individual.phone": "Add your phone number.",
    "individual.address": "Add your home address.",
    "individual.id_number": "Add your national identity or tax number.",
    "individual.ssn_last_4": "Add the last four digits of your social security number.",
    "individual.verification.document": "Upload a photo of your identity document.",
    "individual.verification.additional_document": (
        "Upload a document that proves your address, such as a utility bill or bank statement."
    ),
    "individual.political_exposure": "Say whether you hold a prominent public office.",
    "representative.dob": "Add the date of birth of the person who represents the business.",
    "representative.first_name": "Add the first name of the person who represents the business.",
    "representative.last_name": "Add the last name of the person who represents the business.",
    "representative.email": "Add the e-mail address of the person who represents the business.",
    "representative.phone": "Add the phone number of the person who represents the business.",
    "representative.address": "Add the home address of the person who represents the business.",
    "representative.id_number": (
        "Add the national identity or tax number of the person who represents the business."
    ),
    "representative.relationship": (
        "Say what role the person who represents the business holds in it."
    ),
    "representative.verification.document": (
        "Upload a photo of the identity document of the person who represents the business."
    ),
    "representative.verification.additional_document": (
        "Upload a document that proves the address of the person who represents the business."
    ),
    "owners": "Add the people who own the business.",
    "directors": "Add the business's directors.",
    "executives": "Add the business's executives.",
    "company.owners_provided": "Confirm you have added everyone who owns the business.",
    "company.directors_provided": "Confirm you have added all the business's directors.",
    "company.executives_provided": "Confirm you have added all the business's executives.",
    "company.name": "Add the business's legal name.",
    "company.tax_id": "Add the business's tax number.",
    "company.vat_id": "Add the business's VAT number.",
    "company.phone": "Add the business's phone number.",
    "company.address": "Add the business's address.",
    "company.registration_number": "Add the business's registration number.",
    "company.verification.document": "Upload a document that proves the business is registered.",
    "business_type": "Say whether you are paid as a person or as a business.",
    "business_profile.url": "Add your website or a social media profile that shows your work.",
    "business_profile.mcc": "Choose the kind of work you do.",
    "business_profile.product_description": "Describe the work you are paid for.",
    "business_profile.support_phone": "Add a phone number clients can reach you on.",
    "business_profile.support_email": "Add an e-mail address clients can reach you on.",
    "business_profile.name": "Add the name you work under.",
    "settings.payments.statement_descriptor": (
        "Choose the name shown on your clients' bank statements."
    ),
}

# Why Stripe disabled the account (`requirements.disabled_reason`).
DISABLED_SENTENCES: dict[str, str] = {
    "requirements.past_due": "Payouts are paused until the information below is added.",
    "requirements.pending_verification": (
        "Stripe is checking the information you gave; this usually takes a few minutes."
    ),
    "listed": "Stripe has paused payouts to this account while it reviews it.",
    "under_review": "Stripe has paused payouts to this account while it reviews it.",
    "rejected.fraud": "Stripe has closed this account. Contact us to be paid another way.",
    "rejected.terms_of_service": (
        "Stripe has closed this account. Contact us to be paid another way."
    ),
    "rejected.listed": "Stripe has closed this account. Contact us to be paid another way.",
    "rejected.other": "Stripe has closed this account. Contact us to be paid another way.",
    "platform_paused": "Payouts to this account are paused by us. Contact us to find out why.",
}
DISABLED_GENERIC = "Stripe has paused payouts to this account. " + GENERIC


def sentence_for(field: str) -> str:
    """The thing to do for one of Stripe's requirement fields (GENERIC when not mapped)."""
    parts = field.split(".")
    for end in range(len(parts), 0, -1):
        sentence = FIELD_SENTENCES.get(".".join(parts[:end]))
        if sentence:
            return sentence
    return GENERIC


def sentences_for(fields: Iterable[str]) -> list[str]:
    """Each thing to do once, in Stripe's order."""
    return list(dict.fromkeys(sentence_for(field) for field in fields))


def disabled_sentence(reason: str) -> str:
    """Why payouts are paused, or '' when they are not."""
    if not reason:
        return ""
    return DISABLED_SENTENCES.get(reason, DISABLED_GENERIC)
