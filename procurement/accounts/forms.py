import hashlib
import re

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from procurement.errors import TooManyAttempts

from . import throttle


class TermsForm(forms.Form):
    """The box accepting the terms of use (with links to them and to the privacy notice). That it must be
    ticked is ``services.terms_accept``'s rule; the box is marked as required."""

    accept_terms = forms.BooleanField(required=False)
    accept_terms.required_when_shown = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept_terms"].label = format_html(
            gettext("J'accepte les {terms} et j'ai lu la {privacy}."),
            terms=format_html('<a href="{}">{}</a>', reverse("legal:terms"),
                              gettext("conditions générales d'utilisation")),
            privacy=format_html('<a href="{}">{}</a>', reverse("legal:privacy"),
                                gettext("politique de données personnelles")))


class RegisterForm(TermsForm):
    field_order = ["first_name", "last_name", "email", "password", "password_confirm", "accept_terms"]

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail professionnelle"))
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               strip=False, help_text=_("Au moins 8 caractères, pas uniquement des chiffres."))
    password_confirm = forms.CharField(label=_("Confirmation du mot de passe"), strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    def clean_password_confirm(self):
        password, confirm = self.cleaned_data.get("password"), self.cleaned_data.get("password_confirm")
        if password and confirm != password:
            raise forms.ValidationError(_("Les deux mots de passe ne sont pas identiques."), code="password_mismatch")
        return confirm


class ProfileForm(forms.Form):
    """The person's name; that both parts are required is ``user_profile_update``'s rule."""

    first_name = forms.CharField(label=_("Prénom"), required=False, widget=forms.TextInput(
        attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Nom"), required=False, widget=forms.TextInput(
        attrs={"autocomplete": "family-name"}))
    first_name.required_when_shown = last_name.required_when_shown = True


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail du compte"))


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autofocus": True}))

    error_messages = {
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé."),
    }

    def clean(self):
        """Refused while the address is locked out (too many failures); each failure is counted."""
        email = self.cleaned_data.get("username") or ""
        if self.request is not None and email:
            try:
                throttle.login_check(self.request, email)
            except TooManyAttempts as exc:
                raise forms.ValidationError(exc.detail, code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if self.request is not None and email and exc.code == "invalid_login":
                throttle.login_failed(self.request, email)
            raise
        if self.request is not None and email:
            throttle.login_succeeded(self.request, email)
        return cleaned

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_verified:
            raise forms.ValidationError(
                _("Votre adresse e-mail n'est pas encore vérifiée : ouvrez le lien reçu par e-mail."),
                code="unverified",
            )


class QueuedPasswordResetForm(PasswordResetForm):
    """Password-reset mails go through the same queue as every other mail (stored, sent once, retried).

    Whether the address has an account shows neither in the answer (the same page) nor in the time it takes:
    either way one query looks the address up and one mail is written and queued, sent after the response.
    An address without an active account gets a mail saying so (its owner alone reads it), with the link to
    register."""

    def get_users(self, email):
        users = list(super().get_users(email))
        self.found = bool(users)
        return users

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if not self.found:
            from procurement.notifications import notify

            email = self.cleaned_data["email"]
            digest = hashlib.sha256(email.lower().encode()).hexdigest()[:16]
            notify(key=f"password-reset-no-account:{digest}:{timezone.now():%Y%m%d%H%M%S%f}", to=email,
                   template="password_reset_no_account",
                   context={"register_url": settings.SITE_URL + reverse("accounts:register")})

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from procurement.notifications import queue_mail

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        # The key names the request without the token: the outbox never holds a usable reset link.
        request_id = hashlib.sha256(context["token"].encode()).hexdigest()[:16]
        queue_mail(key=f"password-reset:{context['uid']}:{request_id}", to=to_email, subject=subject, body=body,
                   one_time_link=True)


class ResetLinkForm(forms.Form):
    """The link of a password-reset mail. Its secret part follows a "#": browsers never send it to a server,
    so it reaches no access log; the page's script (or the person, pasting the link) posts it here."""

    link = forms.CharField(label=_("Lien reçu par e-mail"), max_length=500,
                           help_text=_("Collez ici le lien complet du message de réinitialisation."))

    def clean_link(self):
        match = RESET_FRAGMENT.search(self.cleaned_data["link"].strip())
        if match is None:
            raise forms.ValidationError(_("Ce lien n'est pas celui du message de réinitialisation."))
        return match.group("uid"), match.group("token")


RESET_FRAGMENT = re.compile(r"#(?P<uid>[0-9A-Za-z_\-]+)/(?P<token>[0-9A-Za-z]+-[0-9A-Za-z]+)/?$")
