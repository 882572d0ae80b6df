"""Output shapes of the core API (documented in the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers


class JurisdictionSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()
    time_zone = serializers.CharField()


class DistrictSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ar = serializers.CharField()
    name_en = serializers.CharField()


class DistrictLookupSerializer(DistrictSummarySerializer):
    jurisdiction = JurisdictionSummarySerializer()
    on_border_with = DistrictSummarySerializer(many=True)


class CurrentUserSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(required=False)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
