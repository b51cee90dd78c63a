"""API authentication: ``Authorization: Token <secret>``, checked against the stored SHA-256 of the secret."""

from __future__ import annotations

from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    """One query (the token and its user). A token is refused once expired, or once the password it was
    issued under has changed (reset, change, back office), or when its user is deactivated."""

    model = ApiToken

    def authenticate_credentials(self, key):
        try:
            token = ApiToken.objects.select_related("user").get(digest=ApiToken.digest_of(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Jeton invalide."))
        user = token.user
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("Jeton expiré : demandez-en un nouveau."))
        if not constant_time_compare(token.password_hash, user.get_session_auth_hash()):
            raise exceptions.AuthenticationFailed(_("Jeton révoqué : le mot de passe a changé depuis."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("Utilisateur inactif ou supprimé."))
        return user, token
