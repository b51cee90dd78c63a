"""A mail backend for the fault tests: writes mails to files like Django's file backend, each after a pause,
so that a test can kill the worker in the middle of a batch."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "0.5")))
        return super().send_messages(email_messages)
