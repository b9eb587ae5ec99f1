"""The player's wallet over the API (their own only: every query starts from request.user),
and the gateway's webhook."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.core.api.body import object_body
from apps.core.api.errors import Unavailable, drf_detail
from apps.core.api.schema import error_serializer

from .. import rates
from ..gateway import GatewayError
from ..models import Posting, Withdrawal
from ..services import cashier, core, rakeback

# The coins the cashier takes (models.Coin), in any letter case.
COIN_IN_PATH = {"type": "string", "pattern": "^([Bb][Tt][Cc]|[Ee][Tt][Hh]|[Uu][Ss][Dd][Tt]|[Uu][Ss][Dd][Cc])$"}


def withdrawal_request_schema() -> dict:
    """What cashier.request_withdrawal takes (its own checks stay the authority)."""
    from django.conf import settings

    return {
        "type": "object",
        "required": ["amount", "coin", "address"],
        "properties": {
            "amount": {
                "type": "integer",
                "minimum": settings.WALLET_WITHDRAWAL_MIN,
                "maximum": core.MAX_AMOUNT,
                "description": "won",
            },
            "coin": COIN_IN_PATH,
            # 10–200 characters once the blanks around it are taken off.
            "address": {"type": "string", "pattern": r"^\s*\S.{8,198}\S\s*$"},
        },
    }


def _refused(error: DjangoValidationError) -> ValidationError:
    return ValidationError(drf_detail(error))


class PostingSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="transfer.kind")
    reference = serializers.CharField(source="transfer.reference")
    at = serializers.DateTimeField(source="transfer.created_at")
    seq = serializers.IntegerField(source="transfer.seq")

    class Meta:
        model = Posting
        fields = ["id", "amount", "kind", "reference", "at", "seq"]


class WithdrawalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Withdrawal
        fields = ["id", "amount", "coin", "address", "status", "approvals_required", "release_at", "created_at"]
        read_only_fields = ["id", "status", "approvals_required", "release_at", "created_at"]


class History(CursorPagination):
    ordering = "-id"
    page_size = 50


@extend_schema(
    responses=inline_serializer(
        "WalletBalance",
        {
            "balance": serializers.IntegerField(),
            "pending_withdrawal": serializers.IntegerField(),
            "vip_level": serializers.CharField(),
            "rakeback_percent": serializers.IntegerField(),
        },
    )
)
@api_view(["GET"])
@permission_classes([HasPermission("wallet:read")])
def balance(request):
    level = rakeback.vip_level(request.user)
    return Response(
        {
            "balance": core.balance(core.player_account(request.user)),
            "pending_withdrawal": core.balance(core.pending_account(request.user)),
            "vip_level": level.code,
            "rakeback_percent": level.percent,
        }
    )


@extend_schema(
    responses=inline_serializer(
        "PostingPage",
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": PostingSerializer(many=True),
        },
    )
)
@api_view(["GET"])
@permission_classes([HasPermission("wallet:read")])
def history(request):
    """The player's own postings, newest first, by cursor (stable while money moves)."""
    queryset = Posting.objects.filter(account__user=request.user, account__kind="player").select_related("transfer")
    paginator = History()
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(PostingSerializer(page, many=True).data)


@extend_schema(
    parameters=[OpenApiParameter("coin", COIN_IN_PATH, OpenApiParameter.PATH)],
    responses={
        200: inline_serializer(
            "DepositAddress",
            {
                "coin": serializers.CharField(),
                "address": serializers.CharField(),
                "confirmations": serializers.IntegerField(),
            },
        ),
        503: OpenApiResponse(error_serializer(), description="The payment gateway does not answer (`unavailable`)."),
    },
)
@api_view(["GET"])
@permission_classes([HasPermission("deposit:create")])
def deposit_address(request, coin: str):
    try:
        address = cashier.deposit_address(user=request.user, coin=coin, actor=request.user)
    except DjangoValidationError as error:
        raise _refused(error) from error
    except GatewayError as error:
        raise Unavailable(_("The payment gateway does not answer; try again in a minute.")) from error
    from django.conf import settings

    return Response(
        {"coin": address.coin, "address": address.address, "confirmations": settings.WALLET_CONFIRMATIONS[address.coin]}
    )


@extend_schema(methods=["GET"], responses=WithdrawalSerializer(many=True))
@extend_schema(
    methods=["POST"],
    request={"application/json": withdrawal_request_schema()},
    responses={201: WithdrawalSerializer},
    parameters=[
        OpenApiParameter(
            "Idempotency-Key",
            {"type": "string", "minLength": 1, "maxLength": 80},
            OpenApiParameter.HEADER,
            required=True,
            description="any unique string per withdrawal: a retry with the same key has one effect",
        )
    ],
)
@api_view(["GET", "POST"])
@permission_classes([HasPermission(read="withdrawal:read", write="withdrawal:create")])
def withdrawals(request):
    if request.method == "GET":
        rows = Withdrawal.objects.filter(user=request.user).order_by("-id")[:100]
        return Response(WithdrawalSerializer(rows, many=True).data)
    key = request.headers.get("Idempotency-Key") or object_body(request).get("idempotency_key")
    if not key:
        raise ValidationError({"idempotency_key": ["Send an Idempotency-Key header: a retry then has one effect."]})
    try:
        withdrawal = cashier.request_withdrawal(
            user=request.user,
            amount=object_body(request).get("amount"),
            coin=object_body(request).get("coin", ""),
            address=object_body(request).get("address", ""),
            key=f"api:{request.user.pk}:{key}",
            actor=request.user,
        )
    except DjangoValidationError as error:
        raise _refused(error) from error
    return Response(WithdrawalSerializer(withdrawal).data, status=201)


@csrf_exempt
@require_POST
def nowpayments_webhook(request):
    """NOWPayments' IPN: no session, verified by its HMAC-SHA512 signature."""
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError:
        return JsonResponse({"error": "body is not a JSON object"}, status=400)
    try:
        outcome = cashier.handle_ipn(payload, request.headers.get("x-nowpayments-sig", ""))
    except rates.RateUnavailable as error:
        return JsonResponse({"error": str(error)}, status=503)  # the gateway retries later
    except DjangoValidationError as error:
        status = 403 if "signature" in getattr(error, "error_dict", {}) else 400
        if isinstance(error, cashier.CashierHalted):
            status = 503
        return JsonResponse(
            {"error": error.message_dict if hasattr(error, "error_dict") else error.messages}, status=status
        )
    return JsonResponse({"ok": True, "outcome": outcome})
