"""Reply drafts and their approval (the Yext pattern: staff suggest, the owner approves).

- Drafts come from a Drafter: the inference fleet's LLM when one is configured, else the
  TemplateDrafter, whose drafts are labelled "template" everywhere they are shown.
- approve (optionally with an edited text), reject with a reason. Two approvers at once:
  the draft row is locked and a UNIQUE constraint lets one reply per review go out.
- Posting: Google through its API (posted / failed, retried); Naver and Kakao by "copy and
  open" (the owner pastes it on the platform's reply page and marks it posted).
- Never posted automatically to a review with ≤ 3 stars (or no stars), negative, mixed or
  urgent; the store's optional auto mode covers positive 4–5 star reviews only.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..connectors import NotSupported, TransientError, connector_for
from ..models import Listing, ReplyDraft, Review, Store
from . import plans
from .common import invalid, record

MAX_POST_ATTEMPTS = 5


class Drafter:
    source = ReplyDraft.Source.TEMPLATE

    def draft(self, review: Review, examples: list[str]) -> str:
        raise NotImplementedError


ASPECT_WORDS = {
    "taste": "맛",
    "service": "응대",
    "price": "가격",
    "cleanliness": "청결",
    "waiting": "대기 시간",
    "atmosphere": "분위기",
    "parking": "주차",
    "portion": "양",
    "quality": "품질",
    "teaching": "수업",
    "result": "결과",
}


class TemplateDrafter(Drafter):
    """No AI model: a fixed template per sentiment, filled with the review's aspects."""

    source = ReplyDraft.Source.TEMPLATE

    def draft(self, review: Review, examples: list[str]) -> str:
        name = review.author or "고객"
        good = [ASPECT_WORDS[a] for a, p in (review.aspects or {}).items() if p == "positive" and a in ASPECT_WORDS]
        bad = [ASPECT_WORDS[a] for a, p in (review.aspects or {}).items() if p == "negative" and a in ASPECT_WORDS]
        if review.urgent or review.sentiment == "negative":
            about = f" 말씀해 주신 {', '.join(bad)} 부분" if bad else " 불편을 드린 부분"
            text = (
                f"{name}님, 소중한 의견 감사합니다.{about}에 대해 진심으로 사과드립니다. "
                "바로 확인하고 개선하겠습니다. 괜찮으시다면 매장으로 연락 주시면 직접 말씀 나누고 싶습니다."
            )
        elif review.sentiment == "mixed":
            text = (
                f"{name}님, 방문해 주셔서 감사합니다. "
                + (f"{', '.join(good)}을(를) 좋게 봐 주셔서 기쁩니다. " if good else "")
                + (f"{', '.join(bad)}은(는) 더 신경 쓰겠습니다. " if bad else "아쉬웠던 점은 더 신경 쓰겠습니다. ")
                + "다음 방문 때는 더 만족스러우시도록 준비하겠습니다."
            )
        else:
            liked = f" {', '.join(good)}까지 칭찬해 주셔서" if good else ""
            text = (
                f"{name}님, 좋은 리뷰 감사합니다!{liked} 큰 힘이 됩니다. "
                "다음에도 만족스러운 시간 되시도록 준비하겠습니다."
            )
        return text


_drafter: Drafter | None = None


def drafter() -> Drafter:
    return _drafter or TemplateDrafter()


def set_drafter(value: Drafter | None) -> None:
    global _drafter
    _drafter = value


def in_brand_voice(store: Store, text: str) -> str:
    for word in store.avoid_words or []:
        if word:
            text = text.replace(word, "")
    text = " ".join(text.split())
    if store.signoff:
        text = f"{text}\n{store.signoff}"
    limit = store.reply_max_length or 300
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def examples(store: Store, limit: int = 3) -> list[str]:
    """The owner's past approved replies: the examples an LLM drafter imitates."""
    return list(
        ReplyDraft.objects.filter(review__store=store, status=ReplyDraft.Status.POSTED, auto=False)
        .order_by("-posted_at")
        .values_list("text", flat=True)[:limit]
    )


def may_auto_post(review: Review) -> bool:
    """The never-auto-post rule: only positive 4–5 star reviews with nothing urgent."""
    return (
        review.rating is not None
        and review.rating >= 4
        and review.sentiment == Review.Sentiment.POSITIVE
        and not review.urgent
    )


@transaction.atomic
def draft_reply(review: Review, *, actor, text: str | None = None) -> ReplyDraft:
    plans.require("reply_drafts")
    if text is not None:
        if not text.strip():
            raise invalid(text=_("The reply is empty."))
        body, source = text.strip(), ReplyDraft.Source.MANUAL
    else:
        chosen = drafter()
        body, source = (
            in_brand_voice(review.store, chosen.draft(review, examples(review.store))),
            chosen.source,
        )
    draft = ReplyDraft.objects.create(
        review=review,
        text=body,
        source=source,
        suggested_by=actor if getattr(actor, "pk", None) else None,
    )
    if review.reply_status == Review.ReplyStatus.NONE:
        Review.objects.filter(pk=review.pk).update(reply_status=Review.ReplyStatus.DRAFTED)
    record(
        "store.reply_drafted",
        draft,
        actor if getattr(actor, "pk", None) else None,
        review=review.pk,
        source=source,
    )
    return draft


def after_analysis(review: Review) -> None:
    after_analysis_many([review])


def after_analysis_many(reviews: list[Review]) -> None:
    """A draft for every newly analysed review without one (plans with reply drafts),
    written in one go; in a store's auto mode, positive 4–5 star reviews are approved at once."""
    candidates = [r for r in reviews if r.reply_status == Review.ReplyStatus.NONE]
    if not candidates or not plans.allows("reply_drafts"):
        return
    has = set(ReplyDraft.objects.filter(review__in=candidates).values_list("review_id", flat=True))
    candidates = [r for r in candidates if r.pk not in has]
    if not candidates:
        return
    chosen = drafter()
    shown: dict[int, list[str]] = {}
    drafts = []
    for review in candidates:
        if review.store_id not in shown:
            shown[review.store_id] = examples(review.store)
        text = in_brand_voice(review.store, chosen.draft(review, shown[review.store_id]))
        drafts.append(ReplyDraft(review=review, text=text, source=chosen.source))
    ReplyDraft.objects.bulk_create(drafts)
    Review.objects.filter(pk__in=[r.pk for r in candidates]).update(reply_status=Review.ReplyStatus.DRAFTED)
    by_store: dict[int, list[int]] = {}
    for review in candidates:
        review.reply_status = Review.ReplyStatus.DRAFTED
        by_store.setdefault(review.store_id, []).append(review.pk)
    for review in candidates:
        if review.store_id in by_store:
            record(
                "store.replies_drafted",
                review.store,
                None,
                reviews=by_store.pop(review.store_id),
                source=chosen.source,
            )
    for draft in drafts:
        if draft.review.store.auto_reply_positive and may_auto_post(draft.review):
            approve(draft, actor=None, auto=True)


def _locked_pending(draft: ReplyDraft) -> ReplyDraft:
    draft = ReplyDraft.objects.select_for_update().select_related("review__store").get(pk=draft.pk)
    if draft.status != ReplyDraft.Status.PENDING:
        raise invalid(status=_("This draft was already decided (%(status)s).") % {"status": draft.get_status_display()})
    return draft


@transaction.atomic
def approve(draft: ReplyDraft, *, actor, text: str | None = None, auto: bool = False) -> ReplyDraft:
    from .. import tasks

    draft = _locked_pending(draft)
    review = draft.review
    if auto and not (review.store.auto_reply_positive and may_auto_post(review)):
        raise invalid(status=_("Only positive 4–5 star reviews may be answered automatically."))
    if text is not None:
        if not text.strip():
            raise invalid(text=_("The reply is empty."))
        draft.text = text.strip()
    draft.status = ReplyDraft.Status.APPROVED
    draft.decided_by = actor if getattr(actor, "pk", None) else None
    draft.decided_at = timezone.now()
    draft.auto = auto
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        raise invalid(status=_("Another reply to this review was already approved.")) from None
    ReplyDraft.objects.filter(review=review, status=ReplyDraft.Status.PENDING).exclude(pk=draft.pk).update(
        status=ReplyDraft.Status.REJECTED, reason=_("Another draft was approved.")
    )
    Review.objects.filter(pk=review.pk).update(reply_status=Review.ReplyStatus.APPROVED)
    record(
        "store.reply_approved",
        draft,
        draft.decided_by,
        review=review.pk,
        auto=auto,
        edited=text is not None,
    )
    if connector_for(review.platform).can_post:
        tasks.post_reply.apply_async_on_commit(args=[draft.pk], priority=1)
    return draft


@transaction.atomic
def reject(draft: ReplyDraft, *, actor, reason: str) -> ReplyDraft:
    if not (reason or "").strip():
        raise invalid(reason=_("Say why the draft is rejected."))
    draft = _locked_pending(draft)
    draft.status, draft.reason = ReplyDraft.Status.REJECTED, reason.strip()[:300]
    draft.decided_by, draft.decided_at = actor, timezone.now()
    draft.save()
    review = draft.review
    if not review.drafts.filter(status=ReplyDraft.Status.PENDING).exists():
        Review.objects.filter(pk=review.pk, reply_status=Review.ReplyStatus.DRAFTED).update(
            reply_status=Review.ReplyStatus.NONE
        )
    record("store.reply_rejected", draft, actor, review=review.pk, reason=draft.reason)
    return draft


def _posted(draft: ReplyDraft, actor) -> None:
    draft.status, draft.posted_at, draft.post_error = (
        ReplyDraft.Status.POSTED,
        timezone.now(),
        "",
    )
    draft.save()
    Review.objects.filter(pk=draft.review_id).update(
        reply_status=Review.ReplyStatus.POSTED,
        platform_reply=draft.text,
        updated_at=timezone.now(),
    )
    record(
        "store.reply_posted",
        draft,
        actor,
        review=draft.review_id,
        platform=draft.review.platform,
    )


def post(draft_id: int) -> str:
    """Publish an approved reply through the platform's API (Google). Idempotent: a posted
    draft is not posted again. Returns the draft's status; raises TransientError to retry."""
    from . import ingest

    retry_error = ""
    with transaction.atomic():
        draft = ReplyDraft.objects.select_for_update().select_related("review__store").get(pk=draft_id)
        if draft.status != ReplyDraft.Status.APPROVED:
            return draft.status
        review = draft.review
        listing = Listing.objects.filter(store=review.store, platform=review.platform).first()
        connector = connector_for(review.platform)
        try:
            if listing is None or not review.external_id:
                raise NotSupported(review.platform)
            if not ingest.platform_enabled(review.platform):
                raise TransientError(f"{review.platform} is switched off")
            connector.post_reply(listing, review.external_id, draft.text)
        except NotSupported:
            return draft.status  # copy and open: the owner marks it posted
        except Exception as exc:
            draft.post_attempts += 1
            draft.post_error = str(exc)[:300]
            if draft.post_attempts >= MAX_POST_ATTEMPTS or not isinstance(exc, TransientError):
                draft.status = ReplyDraft.Status.FAILED
            draft.save()
            if draft.status != ReplyDraft.Status.APPROVED:
                return draft.status
            retry_error = draft.post_error
        else:
            _posted(draft, None)
            return draft.status
    raise TransientError(retry_error)  # after commit: the attempt is counted


@transaction.atomic
def mark_posted(draft: ReplyDraft, *, actor) -> ReplyDraft:
    """Naver / Kakao: the owner pasted the approved reply on the platform."""
    draft = ReplyDraft.objects.select_for_update().select_related("review").get(pk=draft.pk)
    if draft.status == ReplyDraft.Status.POSTED:
        return draft
    if draft.status not in (ReplyDraft.Status.APPROVED, ReplyDraft.Status.FAILED):
        raise invalid(status=_("Approve the reply before marking it posted."))
    _posted(draft, actor)
    return draft


@transaction.atomic
def retry_failed(draft: ReplyDraft, *, actor) -> ReplyDraft:
    from .. import tasks

    draft = ReplyDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.status != ReplyDraft.Status.FAILED:
        raise invalid(status=_("Only a failed reply can be sent again."))
    draft.status, draft.post_attempts = ReplyDraft.Status.APPROVED, 0
    draft.save()
    record("store.reply_retried", draft, actor, review=draft.review_id)
    tasks.post_reply.apply_async_on_commit(args=[draft.pk], priority=1)
    return draft
