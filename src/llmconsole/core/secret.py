"""The API key's type: pydantic's :class:`~pydantic.SecretStr`.

``repr``/``str`` show ``**********``; only ``get_secret_value()`` gives the value (used for the
``Authorization`` header and for redaction, nowhere else). Imported under one name so that the core says
what it means (``Secret``) and so that the choice lives in one place.
"""

from __future__ import annotations

from pydantic import SecretStr as Secret

__all__ = ["Secret"]
