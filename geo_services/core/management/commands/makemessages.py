"""Django's makemessages without fuzzy matching.

With fuzzy matching, msgmerge fills a new message with the translation of a similar old one
("%(name)s must be text." got the Arabic for "must be a number"); compilemessages then skips it
and the page shows English. New messages must start empty so the completeness test names them.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
