"""Django's makemessages, also extracting the strings marked ``_lazy("…")``.

Modules that need both ``gettext`` (as ``_``) and ``gettext_lazy`` import the lazy one as ``_lazy``;
xgettext only knows Django's own names, so without this keyword those strings never reach the catalogues
and stay French on English pages.
"""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=_lazy"]
