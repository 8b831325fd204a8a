"""``{% dashboard_charts %}``: the home page's charts, in their own partial (``dashboard/_charts.html``)."""

from django import template

from kengen.dashboard.charts import dashboard_charts as build_charts

register = template.Library()


@register.inclusion_tag("dashboard/_charts.html", takes_context=True)
def dashboard_charts(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"charts": build_charts(user) if user is not None and user.is_authenticated else []}
