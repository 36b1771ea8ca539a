from django.urls import path

from exportwatch.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("structure/<str:dim>/", views.structure, name="structure"),
    path("world-map.geojson", views.world_map, name="world_map"),
    path("enterprises/", views.enterprises, name="enterprises"),
    path("head/", views.head, name="head"),
    path("enterprise/<str:uscc>/", views.enterprise_profile, name="enterprise"),
    path("market/<str:code>/", views.market_profile, name="market"),
    path("product/<str:hs>/", views.product_profile, name="product"),
]
