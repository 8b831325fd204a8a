"""The JSON API at ``/api/v1/`` (django-ninja); OpenAPI at ``/api/v1/openapi.json``.

Authentication: ``Authorization: Bearer kgn_…`` (tokens from the UI's API token page) or the
browser session (with CSRF). Every endpoint reads through ``restrict`` like the UI, so a security
officer asking for another organization's person gets 404 here too. Domain exceptions are mapped
to HTTP in one place (``_domain_error``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from kengen.core.exceptions import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from kengen.core.middleware import audit_authorization_failure
from kengen.users.services import SignInThrottled, api_token_sign_in


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        # The token is checked first: a valid one works even from an address that sent invalid
        # ones (NAT). Invalid tokens are counted per token and per source address; past either
        # limit they are refused (429) without being checked, counted or audited again
        # (kengen.users.services.bearer_sign_in).
        user, wait = api_token_sign_in(token, ip=request.META.get("REMOTE_ADDR"))
        if wait:
            raise SignInThrottled(wait)
        if user is None:
            return None
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; CSRF is checked for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Kengen API",
    version="1",
    description="Read access to the management file and its reference data, with the same scope "
    "rules as the web UI.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    # Swagger UI from django-ninja's own static files (settings: "ninja" is installed), never a
    # CDN; off with KENGEN_API_DOCS=0. The schema itself stays at /api/v1/openapi.json.
    docs_url="/docs" if settings.KENGEN_API_DOCS else None,
)

_STATUS = {NotFound: 404, PermissionDenied: 403, Conflict: 409, RuleViolation: 422}


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
    if isinstance(exc, PermissionDenied):
        audit_authorization_failure(request, exc)
    return api.create_response(request, exc.as_dict(), status=status)


@api.exception_handler(SignInThrottled)
def _throttled(request, exc: SignInThrottled):
    response = api.create_response(
        request,
        {
            "error": "Throttled",
            "message": "Too many invalid credentials from this client or address. Try again later.",
        },
        status=429,
    )
    response["Retry-After"] = str(exc.wait_seconds)
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"error": "Unauthenticated", "message": "A valid API token is required."}, status=401
    )


def _mount() -> None:
    from kengen.acknowledgements.api import router as acknowledgements_router
    from kengen.applications.api import router as applications_router
    from kengen.audit.api import router as audit_router
    from kengen.credentials.api import form2_router
    from kengen.credentials.api import router as credentials_router
    from kengen.credentials.api import systems_router as verify_router
    from kengen.eligibility.api import router as eligibility_router
    from kengen.grants.api import router as grants_router
    from kengen.hrwave.api import router as hrwave_router
    from kengen.notifications.api import router as notifications_router
    from kengen.organizations.api import router as organizations_router
    from kengen.outsourcing.api import consultations as consultations_router
    from kengen.outsourcing.api import router as outsourcing_router
    from kengen.outsourcing.api import subcontracts as subcontracts_router
    from kengen.people.api import router as people_router
    from kengen.personnel.api import config_router
    from kengen.personnel.api import router as personnel_router
    from kengen.reviews.api import router as reviews_router
    from kengen.roles.api import designations_router
    from kengen.roles.api import router as roles_router
    from kengen.systems.api import router as systems_router
    from kengen.terminals.api import router as terminals_router
    from kengen.viewing.api import router as viewing_router

    api.add_router("/me", roles_router, tags=["me"])
    api.add_router("/organizations", organizations_router, tags=["organizations"])
    api.add_router("/people", people_router, tags=["people"])
    api.add_router("/personnel", personnel_router, tags=["personnel changes (人事)"])
    api.add_router("/hr", hrwave_router, tags=["HR lists (bulk personnel wave)"])
    api.add_router("/configuration", config_router, tags=["configuration (A14)"])
    api.add_router("/configuration/roles", designations_router, tags=["configuration (A14)"])
    api.add_router("/systems", systems_router, tags=["systems"])
    api.add_router("/systems", verify_router, tags=["sign-in verification (systems' API keys)"])
    api.add_router("/", grants_router, tags=["management file"])
    api.add_router("/eligibility", eligibility_router, tags=["eligibility (別表第2)"])
    api.add_router("/audit", audit_router, tags=["audit"])
    api.add_router("/applications", applications_router, tags=["applications (Form 1)"])
    api.add_router("/notifications", notifications_router, tags=["notifications"])
    api.add_router("/acknowledgements", acknowledgements_router, tags=["acknowledgements (A9)"])
    api.add_router("/enrolments", terminals_router, tags=["terminals (biometric enrolment)"])
    api.add_router("/credentials", credentials_router, tags=["passwords (A8)"])
    api.add_router("/password-applications", form2_router, tags=["password applications (Form 2)"])
    api.add_router("/viewing", viewing_router, tags=["viewing IDs (A11)"])
    api.add_router("/outsourcing", outsourcing_router, tags=["outsourcing and external services (A12, A13)"])
    api.add_router(
        "/consultations",
        consultations_router,
        tags=["consultations with the IT division head (A12.2, A13.2)"],
    )
    api.add_router(
        "/subcontracting-permissions", subcontracts_router, tags=["subcontracting permissions (A12.1)"]
    )
    api.add_router("/reviews", reviews_router, tags=["validity checks (A5.10, A6.5)"])


_mount()
