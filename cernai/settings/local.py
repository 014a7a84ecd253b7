"""Developer machine: DEBUG on, console email, insecure defaults are fine here."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
LOG_FORMAT = "plain"
LOGGING["handlers"]["console"]["formatter"] = "plain"  # noqa: F405
