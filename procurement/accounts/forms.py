import hashlib
import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from procurement.errors import TooManyAttempts

from . import throttle


class RegisterForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail professionnelle"))
    password = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, strip=False,
                               help_text=_("Au moins 8 caractères, pas uniquement des chiffres."))


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
    """Password-reset mails go through the same queue as every other mail (stored, sent once, retried)."""

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
