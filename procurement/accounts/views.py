from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.tokens import default_token_generator
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from procurement.errors import TooManyAttempts, ValidationFailed
from procurement.permissions import is_staff_member

from . import selectors, services, throttle
from .forms import (
    EmailLoginForm,
    ProfileForm,
    QueuedPasswordResetForm,
    RegisterForm,
    ResendVerificationForm,
    ResetLinkForm,
    TermsForm,
)
from .middleware import remember_acceptance
from .models import User


@require_http_methods(["GET", "POST"])
def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "password_confirm"}
        try:
            throttle.mail_request(request, "register", data["email"])
            user = services.user_register(**data, ip_address=throttle.client_ip(request))
        except TooManyAttempts as exc:
            form.add_error(None, exc.detail)
        except ValidationFailed as exc:
            _add_errors(form, exc)
        else:
            return render(request, "accounts/register_done.html", {"email": user.email})
    return render(request, "accounts/register.html", {"form": form})


def _add_errors(form, exc: ValidationFailed) -> None:
    """A service's refusal shown on the fields it names (the rest above the form)."""
    for field, msgs in exc.errors.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


def verify(request, token):
    try:
        user = services.user_verify_email(token=token)
    except ValidationFailed as exc:
        return render(request, "accounts/verify_failed.html", {"messages_list": exc.messages}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Votre adresse e-mail est vérifiée. Bienvenue !"))
    return redirect("home")


@require_http_methods(["GET", "POST"])
def resend_verification(request):
    """Send a fresh verification link. The answer is the same whether or not the account exists,
    so the page cannot be used to find out who is registered."""
    form = ResendVerificationForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        try:
            throttle.mail_request(request, "resend", form.cleaned_data["email"])
        except TooManyAttempts as exc:
            form.add_error(None, exc.detail)
            return render(request, "accounts/resend_verification.html", {"form": form}, status=429)
        user = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if user is not None:
            services.user_resend_verification(user=user)
        return render(request, "accounts/register_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/resend_verification.html", {"form": form})


def landing_url(user) -> str:
    """Where a person lands after logging in when no page was asked for: the buyer's staff (a staff role, as
    the console decides) on the console, an administrator without one on the admin site, everyone else
    (suppliers) on the portal."""
    if is_staff_member(user):
        return reverse("console:dashboard")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("portal:dashboard")


class LoginView(auth_views.LoginView):
    """A safe ``next`` (same site) wins; otherwise ``landing_url``."""

    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return landing_url(self.request.user)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm

    def form_valid(self, form):
        try:
            throttle.mail_request(self.request, "reset", form.cleaned_data["email"])
        except TooManyAttempts as exc:
            form.add_error(None, exc.detail)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)

    @property
    def extra_email_context(self):
        # Links are built on SITE_URL, never on the request's Host header (which a client chooses).
        return {"site_url": settings.SITE_URL}
    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


@require_http_methods(["GET", "POST"])
def password_reset_link(request):
    """Where a password-reset mail leads: ``/accounts/reset/#<uid>/<token>``. The page's script posts the part
    after "#" (or the person pastes the link); a valid token is kept in the session, as Django's own view does,
    and the person goes on to choose a password at ``reset/<uid>/set-password/``: the token never appears in a
    requested address, so no access log ever holds a working link."""
    form = ResetLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        uidb64, token = form.cleaned_data["link"]
        confirm = auth_views.PasswordResetConfirmView()
        user = confirm.get_user(uidb64)
        if user is not None and default_token_generator.check_token(user, token):
            request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN] = token
            return redirect("accounts:password_reset_confirm", uidb64=uidb64, token=confirm.reset_url_token)
        return render(request, "accounts/password_reset_confirm.html", {"validlink": False}, status=400)
    return render(request, "accounts/password_reset_link.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def terms(request):
    """The terms of use in force, to accept before using the portal (the terms gate sends people here, with the
    page they asked for as ``next``)."""
    wanted = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        wanted = ""
    accepted = selectors.terms_accepted(request.user)
    form = TermsForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.terms_accept(user=request.user, accepted=form.cleaned_data["accept_terms"],
                                  ip_address=throttle.client_ip(request))
        except ValidationFailed as exc:
            _add_errors(form, exc)
            status = 400
        else:
            remember_acceptance(request)
            if not accepted:
                messages.success(request, _("Merci : les conditions d'utilisation sont acceptées."))
            return redirect(wanted or landing_url(request.user))
    previous = selectors.last_terms_acceptance(request.user)
    return render(request, "accounts/terms.html", {
        "form": form, "next": wanted, "accepted": accepted, "previous": previous,
        "version": settings.TERMS_VERSION,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """"Mon compte": the person's name, the address (shown; it is the login), and a change of password.
    Each form posts on its own (``action``); a changed password keeps this session open and ends the others."""
    user = request.user
    profile_form = ProfileForm(initial={"first_name": user.first_name, "last_name": user.last_name})
    password_form = PasswordChangeForm(user)
    status = 200
    if request.method == "POST" and request.POST.get("action") == "profile":
        profile_form = ProfileForm(request.POST)
        if profile_form.is_valid():
            try:
                services.user_profile_update(user=user, **profile_form.cleaned_data)
            except ValidationFailed as exc:
                _add_errors(profile_form, exc)
            else:
                messages.success(request, _("Vos coordonnées sont enregistrées."))
                return redirect("accounts:profile")
        status = 400
    elif request.method == "POST" and request.POST.get("action") == "password":
        password_form = PasswordChangeForm(user, request.POST)
        if password_form.is_valid():
            user = services.user_password_change(user=user, password=password_form.cleaned_data["new_password1"])
            update_session_auth_hash(request, user)
            messages.success(request, _("Votre mot de passe est modifié."))
            return redirect("accounts:profile")
        status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/profile.html", {"profile_form": profile_form, "password_form": password_form},
                  status=status)
