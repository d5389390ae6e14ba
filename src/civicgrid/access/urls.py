from django.urls import path

from civicgrid.access import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
