from django.contrib import admin

from .models import Notification, PrivateFile, TaskFailure


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "subject", "email_status", "email_attempts", "read_at"]
    list_filter = ["kind", "email_status"]
    search_fields = ["recipient__email", "subject", "dedupe_key"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at", "email_sent_at", "email_claimed_at"]


@admin.register(PrivateFile)
class PrivateFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "purpose", "owner", "content_type", "size", "created_at"]
    list_filter = ["purpose", "content_type"]
    search_fields = ["original_name", "owner__email", "sha256"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["stored_name", "sha256", "size", "content_type", "created_at"]


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "task_name", "task_id", "exception", "resolved_at"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id", "exception"]
