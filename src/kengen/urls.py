from django.contrib import admin
from django.urls import include, path

from kengen.api import api
from kengen.core.views import favicon

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # API: mounted by kengen.api
    path("api/v1/", api.urls),
    path("", include("kengen.users.urls")),
    path("login/passkey/", include("kengen.users.webauthn")),  # namespace otp_webauthn
    path("acknowledgements/", include("kengen.acknowledgements.urls")),
    path("", include("kengen.dashboard.urls")),
    path("organizations/", include("kengen.organizations.urls")),
    path("people/", include("kengen.people.urls")),
    path("personnel/", include("kengen.personnel.urls")),
    path("configuration/", include("kengen.personnel.config_urls")),
    path("hr/", include("kengen.hrwave.urls")),
    path("systems/", include("kengen.systems.urls")),
    path("management-file/", include("kengen.grants.urls")),
    path("table-2/", include("kengen.eligibility.urls")),
    path("roles/", include("kengen.roles.urls")),
    path("audit/", include("kengen.audit.urls")),
    path("applications/", include("kengen.applications.urls")),
    path("inbox/", include("kengen.notifications.urls")),
    path("terminals/", include("kengen.terminals.urls")),
    path("reviews/", include("kengen.reviews.urls")),
    path("", include("kengen.credentials.urls")),  # /me/passwords/ and /credentials/
    path("viewing/", include("kengen.viewing.urls")),
    path("outsourcing/", include("kengen.outsourcing.urls")),
]

handler400 = "kengen.core.views.bad_request"
