"""Names that Django, DRF, django-filter, drf-spectacular, Celery and the templates use, but vulture
cannot see used: the framework reads them by name, from a dotted path in settings.py, from a string in a
Meta class or a URLconf, or from a template.

vulture matches by name, so each line keeps every definition with that name alive. Add a name here only
when something outside Python reaches it; code only the tests call is dead code, not a whitelist entry.
Decorated entry points (@admin.register, @shared_task, @action, ...) and the `clean_*` / `validate_*`
hooks are configured in pyproject.toml instead.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# --- Django: apps, commands, URLconfs, WSGI/ASGI ------------------------------------------------------
_.RegistryConfig  # apps.py: found by Django for the app in INSTALLED_APPS
_.TransfersConfig
_.ReportingConfig
_.WasteparksConfig
_.ready
_.default_auto_field
_.Command  # management/commands/*.py: run by manage.py
_.help
_.add_arguments
_.app_name  # urls.py: the namespace
_.handler400  # wasteparks/urls.py: Django's error views
_.handler403
_.handler404
_.handler500
_.application  # wsgi.py / asgi.py: the server's entry point

# --- Django: named by a dotted path in settings.py -----------------------------------------------------
_.ContentSecurityPolicyMiddleware  # MIDDLEWARE
_.RefuseNulMiddleware
_.CharacterClassValidator  # AUTH_PASSWORD_VALIDATORS
_.validate  # ... whose method Django calls by name
_.SecondFactorMiddleware  # MIDDLEWARE (registry/signin.py)
_.IdleSessionMiddleware
_.navigation  # TEMPLATES context processor
_.exception_handler  # REST_FRAMEWORK
_.WritesNeedWriteScope
_.ApiAutoSchema
_.state_what_the_api_accepts  # SPECTACULAR_SETTINGS postprocessing hook ...
_.generator  # ... and the keyword arguments drf-spectacular passes to it
_.public

# --- Django: models, Meta, lookups -------------------------------------------------------------------
_.abstract  # Meta options
_.swappable
_.verbose_name_plural
_.lookup_name  # wasteparks/lookups.py: a registered lookup
_.prepare_rhs
_.get_prep_lookup
_.as_sql
_.output_field

# Model fields: written by the services through keyword arguments and read through ORM lookups, Meta
# and serializer field lists, the admin and the templates, never (or not yet) as a Python attribute.
_.acting_enterprise
_.adjusted_at
_.adjusted_by
_.available_at
_.cancelled_at
_.closed_reason
_.closing_stock_prefill_t
_.completed_at
_.covers_collection
_.covers_disposal
_.covers_storage
_.covers_utilization
_.created_at
_.decided_at
_.decided_by
_.disposed_in_house_prefill_t
_.disposed_in_house_t
_.generated_prefill_t
_.latitude
_.longitude
_.name_en
_.opening_stock_prefill_t
_.opening_stock_t
_.phone
_.picked_up_at
_.proposed_by
_.proposing_enterprise
_.proposing_party
_.received_prefill_t
_.received_t
_.rectification_note
_.rectified_at
_.rectified_by
_.rejected_at
_.reviewed_by
_.shipped_for_disposal_prefill_t
_.shipped_for_disposal_t
_.shipped_for_utilization_prefill_t
_.shipped_for_utilization_t
_.status_reason
_.submitted_by
_.suppresses
_.token_prefix
_.total_in_t
_.total_out_t
_.treated_at
_.treated_from_prior_storage_t
_.treated_quantity_t
_.treatment_method
_.updated_at
_.utilized_from_prior_storage_t
_.utilized_in_house_prefill_t
_.utilized_in_house_t
_.verified_at
_.verified_by
_.accepted_by  # registry Invitation: shown in the admin
_.invited_by
_.disabled_by  # registry User: who disabled an account and why, shown on the officers' accounts page
_.disabled_reason

# Choices members: stored as their value, offered in forms, the admin and the API.
_.BAG
_.BOX
_.BULK
_.DESK_CHECK
_.GAS
_.IBC
_.LIQUID
_.OTHER
_.POOL
_.SEMI_SOLID
_.SITE_VISIT
_.SLUDGE
_.STORAGE_POINT
_.TANK
_.TANK_FARM
_.VIEWER

# django-simple-history: read by its pre_save handler from the instance being saved.
_._history_user
_._change_reason
_.history_list_display

# A model field only written by keyword and read through its column (transfers/models.py).
_.reverses

# --- Django: forms and the admin ---------------------------------------------------------------------
_.widgets
_.label_from_instance
_.total_form_count
# Declared form fields: read back by name from cleaned_data and rendered by the templates.
_.discrepancy
_.include_empty
_.line_field
_.line_value
_.occurred_from
_.occurred_to
_.period_from
_.period_to
_.planned_from
_.planned_to
# ModelAdmin options and hooks.
_.autocomplete_fields
_.date_hierarchy
_.extra
_.get_readonly_fields
_.has_add_permission
_.has_change_permission
_.has_delete_permission
_.inlines
_.list_display
_.list_select_related
_.search_fields
_.show_change_link

# --- Attributes the templates read -------------------------------------------------------------------
_.second_factor_pending  # set on the request by registry.signin.SecondFactorMiddleware, read by base.html
_.more  # _pagination.html: page.more
_.too_old  # registry/_enterprise_activity.html: balance.too_old
_.state_label  # registry/permit_list.html: permit.state_label
_.medical_treatment_due  # transfers/manifest_detail.html
_.value_text  # reporting/threshold_park.html: record.value_text
_.rolling_rate_note  # reporting/dashboard.html: board.rolling_rate_note

# --- DRF, django-filter, drf-spectacular -------------------------------------------------------------
# View and viewset options and hooks.
_.filterset_class
_.http_method_names
_.lookup_value_regex
_.pagination_class
_.parser_classes
_.partial_update
_.perform_create
_.perform_update
# Set on the view and the request by APIView.initial(), which wasteparks.api.viewsets reproduces.
_.accepted_media_type
_.accepted_renderer
_.format_kwarg
_.version
_.versioning_scheme
# Authentication, permissions, throttling, parsing, errors.
_.authenticate
_.authenticate_header
_.has_permission
_.get_cache_key
_.parse  # BaseParser.parse(stream, media_type, parser_context)
_.media_type
_.default_detail
# Serializers: Meta options, declared fields (listed in Meta.fields), SerializerMethodField getters.
_.read_only_fields
_.carrier_name
_.consignor_name
_.division_name
_.enterprise_name
_.expected_closing_stock_t
_.receiver_name
_.rolling_12_months
_.signatures
_.get_age_days
_.get_balances
_.get_expected_closing_stock_t
_.get_period
_.get_rolling_12_months
_.get_year_to_date
_.actor_id  # the `…_id` references to people beside v1's usernames (docs/api.md, names and conventions)
_.submitted_by_id
_.reviewed_by_id
_.earlier_revisions
_.display_name  # reporting/api/people.py
_.jurisdictions
_.api_client_enterprise
_.get_attribute  # a ListSerializer picking its rows (the report's earlier revisions)
_.help_text  # set on a deprecated alias field (wasteparks/api/aliases.py), read into the schema
# FilterSets: declared filters (query parameters), their `method=` targets, custom filter fields.
_.default_error_messages
_.field_class
_.occurred_after
_.occurred_before
_.raised_after
_.raised_before
_.submitted_after
_.submitted_before
_.updated_after
_.valid_to_after
_.valid_to_before
_.filter_code
_.filter_on_hand
_.filter_party
_.filter_role
_.filter_valid_on
_.filter_waste_code
_.filter_enterprise
_.officer_role
# drf-spectacular: an extension registered by subclassing, and the schema hooks of the paginator.
_.ApiClientAuthenticationScheme
_.target_class
_.get_security_definition
_.auto_schema
_.get_paginated_response_schema
_.get_schema_operation_parameters

# --- Celery and signals ------------------------------------------------------------------------------
_.sender  # every signal receiver takes it as a keyword argument
_.requires  # wasteparks/celery.py: a bootstep's dependencies, and its stop(), which the worker calls
_.stop

# --- openpyxl: attributes of cells, columns and sheets, written for the library to read ---------------
_.data_type
_.font
_.freeze_panes
_.number_format
_.width

# --- Kept ahead of its callers (the one exception to "only the tests call it" being dead code) --------
_.quarter_of  # wasteparks/periods.py: quarterly reporting duties (HJ 1259-2022, a later issue) build on it
_.drifted  # bench/check.py: the integrity check of the benchmark data (run by the bench smoke test)
_.append_only  # wasteparks/append_only.py: called by migrations, which the scan leaves out
_.track_changes  # wasteparks/sync.py: the same, for the change cursor's triggers
_.create_functions
_.follow
_.deleted_at  # wasteparks/api/deletions.py: a serializer field, read by DRF by name
_.backfill  # wasteparks/audit.py: called by the migration wasteparks 0006_audit_backfill

# --- Device telemetry ------------------------------------------------------------------------------
_.unit  # registry/models/devices.py: templates/reporting/_devices.html shows it
_.permission_classes  # reporting/api/telemetry.py: DRF reads it
_.CREATE_FUNCTION_SQL  # wasteparks/partitions.py: wasteparks/migrations/0011_time_partitions.py runs them
_.DROP_FUNCTION_SQL
_.months_from  # reporting/partitions.py: bench/b7_telemetry.py makes its readings' months with it
_.partition_by_time  # wasteparks/partitioning.py: called by migrations, which the scan leaves out
_.keep_manifest_parks  # transfers/manifest_parks.py: the same (transfers 0013)
_.ManifestPark  # transfers/models.py: written by triggers, read by name through Manifest's `park_links`
_.references
_.id_runs  # wasteparks/models.py: wasteparks/audit.py reads it by name (values_list)
_.last_at  # reporting/models/telemetry.py: read by name in reporting/querysets/devices.py
_.last_detail

# --- Management classes, plans, filings, accounts, exports, formats, print ---------------------------
_.largest_annual_t  # registry/models/classes.py: the grounds of a class, shown in its history and the API
_.first_year
_.last_year
_.class_history  # registry/api.py: a serializer field named in Meta.fields
_.filed_with  # registry/models/filings.py: the authority a filing was made with, kept on the record
_.generation_t  # reporting/models/plans.py: plan figures, read by the forms, templates and the API by name
_.transfer_t
_.utilization_t
_.disposal_t
_.lift  # registry/forms.py: read from cleaned_data by name
_.raw_id_fields  # registry/admin.py: the admin reads it
_.finished_at  # wasteparks/models.py: when a background export ended, shown on its page
_.ip_address  # wasteparks/models.py: the login audit's columns, shown on its page and in the admin
_.user_agent
_.ref  # wasteparks/exports.py: openpyxl's auto filter range
_.height  # transfers/pdf.py: reportlab reads a flowable's size
_.SchemaEditorClass  # wasteparks/sqlite/base.py: Django's backend reads it
# wasteparks/formats/: Django reads the format modules named by FORMAT_MODULE_PATH by name.
_.SHORT_DATE_FORMAT
_.SHORT_DATETIME_FORMAT
_.TIME_FORMAT
_.FIRST_DAY_OF_WEEK
_.DATE_INPUT_FORMATS
_.TIME_INPUT_FORMATS
_.DATETIME_INPUT_FORMATS
_.DECIMAL_SEPARATOR
_.THOUSAND_SEPARATOR
_.NUMBER_GROUPING
_.YEAR_MONTH_FORMAT
_.MONTH_DAY_FORMAT
# The database router and its middleware (settings.DATABASE_ROUTERS, MIDDLEWARE): Django calls them by name.
_.PrimaryReplicaRouter
_.PinAfterWriteMiddleware
_.db_for_read
_.db_for_write
_.allow_relation
_.allow_migrate
_.retrieve  # reporting/api/carbon.py, opportunities.py: DRF routes GET /<id>/ to a ViewSet's retrieve
_.FastJSONRenderer  # wasteparks/api/renderers.py: named in settings.REST_FRAMEWORK
_.max_page_size  # wasteparks/api/webhooks.py: DRF's cursor pagination reads it
_.redirect_request  # wasteparks/webhooks.py: urllib calls it on a redirect (refused)
# wasteparks/models.py, wasteparks/webhooks.py: a webhook delivery's log, written on each attempt and shown
# through /api/v1/webhooks/{id}/deliveries/ by the serializer's field names.
_.last_status_code
_.response_excerpt
_.last_duration_ms
_.last_attempt_at
_.delivered_at
_.next_attempt_at
# reporting/imports/reconcile.py: a reconciliation line's figures, read by its page by name.
_.platform_t
_.ours_t
_.record_ids
_.differences
# reporting/models/carbon.py: a factor edition's provenance (the file and when it was loaded) and what a
# factor's route replaces: the record of where each figure came from, kept with every edition.
_.loaded_from
_.loaded_at
_.replaces
# transfers/models.py: a container's origin, shown on its label and through the API by field name.
_.ledger_entry
_.generated_on
_.labelled_by
_.is_ok  # transfers/services/containers.py: read by templates/transfers/container_scan.html
_.permit_numbers  # transfers/services/receivers.py: shown with each candidate on the opportunities page
_.remaining_by_kind
_.approval_numbers
# reporting/api/carbon.py, opportunities.py: response serializers that describe the answer in the schema.
_.transport_t_co2e
_.transport_tonne_km
_.transport_not_estimated_t
_.utilizers
# reporting/models/exchange.py: who published a listing, kept for the record (admin and audit).
_.published_by
_.permit_number  # reporting/symbiosis/exchange.py: shown with each licence line on the offer form
# reporting/symbiosis/network.py: read by templates/reporting/network.html to draw the network.
_.colour
_.dashed
_.x1
_.y1
_.x2
_.y2
_.node_radius
_.legend
_.road_factor  # reporting/carbon/figures.py: read by templates/reporting/_carbon.html
_.label_dy  # reporting/symbiosis/network.py: where templates/reporting/network.html writes a name
_.label_anchor
_.listed_codes  # transfers/views/manifests.py: read by templates/transfers/manifest_list.html
_._get_FIELD_display  # wasteparks/models.py: what Django's get_<field>_display() calls
# wasteparks/templatetags/dates.py: built-in template filters, used by name in the templates.
_.ymd
_.ymd_hm
