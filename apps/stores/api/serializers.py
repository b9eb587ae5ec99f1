from rest_framework import serializers

from .. import models as m


class ListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Listing
        fields = ["id", "platform", "place_id", "url", "crawl_enabled", "last_synced_at"]


class StoreSerializer(serializers.ModelSerializer):
    listings = ListingSerializer(many=True, read_only=True)

    class Meta:
        model = m.Store
        fields = [
            "id",
            "name",
            "category",
            "address",
            "tone",
            "signoff",
            "avoid_words",
            "reply_max_length",
            "auto_reply_positive",
            "quiet_start",
            "quiet_end",
            "alert_phone",
            "alert_telegram_chat_id",
            "archived",
            "listings",
        ]
        read_only_fields = ["archived", "listings"]


class ListingWriteSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=m.Platform.choices)
    place_id = serializers.CharField(max_length=200)
    url = serializers.URLField(required=False, allow_blank=True)
    oauth_token = serializers.CharField(required=False, allow_blank=True, write_only=True)


class ImportSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=m.Platform.choices)
    text = serializers.CharField(trim_whitespace=False)


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.IngestionSession
        fields = ["id", "store", "platform", "source", "status", "started_at", "finished_at"]
        fields += ["found", "new", "updated", "failed", "errors"]


class DraftSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ReplyDraft
        fields = ["id", "review", "text", "source", "status", "auto", "suggested_by", "decided_by", "decided_at"]
        fields += ["reason", "posted_at", "post_error"]


class ReviewSerializer(serializers.ModelSerializer):
    drafts = DraftSerializer(many=True, read_only=True)

    class Meta:
        model = m.Review
        fields = ["id", "store", "platform", "external_id", "author", "rating", "text", "written_on", "version"]
        fields += ["platform_reply", "cross_post_of", "sentiment", "sentiment_score", "aspects", "keywords"]
        fields += ["urgent", "reply_status", "analysed_at", "drafts"]


class ReviewListSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Review
        fields = ["id", "store", "platform", "author", "rating", "text", "written_on", "sentiment"]
        fields += ["sentiment_score", "keywords", "urgent", "reply_status"]


class DraftWriteSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=False)


class DecisionSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=False)
    reason = serializers.CharField(required=False, allow_blank=True)


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Report
        fields = ["id", "store", "kind", "period_start", "period_end", "data", "created_at"]
