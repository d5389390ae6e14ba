"""SMS through Tencent Cloud's official SDK (``tencentcloud-sdk-python-sms``).

A mainland SMS is a template approved in advance with a sign name: the
notice names its template (``Notice.template``, looked up in
``settings.SMS_TEMPLATES``) and carries its parameters; a notice without one
goes out through the generic ``notice`` template with its message as the
only parameter. The endpoint is a setting (``SMS_ENDPOINT``), so tests talk
to a stand-in on this machine and an intranet to its gateway.
Delivery receipts (Tencent's status callback) arrive at
``notify:sms_receipt`` and turn *sent* into *delivered* or *failed*.
"""

from urllib.parse import urlparse

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from civicgrid.notify.channels import Channel
from civicgrid.notify.models import Delivery

GENERIC = "notice"
# Codes after which trying again cannot help: the number or the template is wrong.
PERMANENT = (
    "InvalidParameterValue",
    "UnsupportedOperation",
    "FailedOperation.PhoneNumberInBlacklist",
)


class Undeliverable(Exception):
    """Not worth another try (the outbox marks the row failed at once)."""

    permanent = True


def e164(number: str) -> str:
    """A mainland number gets +86; one with a country code keeps it."""
    return number if number.startswith("+") else f"+86{number}"


def client() -> sms_client.SmsClient:
    endpoint = urlparse(settings.SMS_ENDPOINT)
    http = HttpProfile(
        protocol=endpoint.scheme or "https",
        endpoint=endpoint.netloc,
        reqTimeout=settings.NOTICE_TIMEOUT_SECONDS,
    )
    profile = ClientProfile(httpProfile=http)
    profile.disable_region_breaker = True  # one endpoint: nothing to fall back to
    cred = credential.Credential(settings.SMS_SECRET_ID, settings.SMS_SECRET_KEY)
    return sms_client.SmsClient(cred, settings.SMS_REGION, profile)


def template_of(notice) -> tuple[str, list[str]]:
    """The template id and its parameters for ``notice``."""
    templates = settings.SMS_TEMPLATES
    if notice.template and notice.template in templates:
        return templates[notice.template], list(notice.params)
    if GENERIC not in templates:
        raise Undeliverable(f"no SMS template {notice.template or GENERIC!r} in SMS_TEMPLATES")
    return templates[GENERIC], [notice.message]


class TencentSms(Channel):
    name = "sms"

    def reaches(self, notice) -> bool:
        return bool(notice.phone)

    def deliver(self, notice):
        template, params = template_of(notice)
        request = models.SendSmsRequest()
        request.SmsSdkAppId = settings.SMS_APP_ID
        request.SignName = settings.SMS_SIGN_NAME
        request.TemplateId = template
        request.TemplateParamSet = params
        request.PhoneNumberSet = [e164(notice.phone)]
        request.SessionContext = f"notice:{notice.pk}"
        try:
            response = client().SendSms(request)
        except TencentCloudSDKException as error:
            if str(error.code or "").startswith(PERMANENT):
                raise Undeliverable(f"{error.code}: {error.message}") from None
            raise ConnectionError(f"{error.code}: {error.message}") from None
        (status,) = response.SendStatusSet
        if status.Code != "Ok":
            if status.Code.startswith(PERMANENT):
                raise Undeliverable(f"{status.Code}: {status.Message}")
            raise ConnectionError(f"{status.Code}: {status.Message}")
        return Delivery.Status.SENT, status.SerialNo
