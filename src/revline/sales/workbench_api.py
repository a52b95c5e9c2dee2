"""Sales set-up (pipelines, stages, close reasons, playbooks) and the deal page's panels (buying
committee, files and links, playbook checklist, content sent) over the JSON API.

Deal-scoped routes follow revline.sales.visibility like the deal page: a deal the caller may not
see is a 404, a deal they see but may not change is a 403.
"""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset

from . import (
    api_selectors,
    closing_services,
    playbook_services,
    selectors,
    services,
    share_services,
)
from .activity_services import EDIT_DENIED
from .attachment_files import attachment_file_response
from .models import (
    CloseReason,
    Deal,
    DealAttachment,
    DealContact,
    Pipeline,
    PlaybookItem,
    Stage,
    StagePlaybook,
)
from .schemas import (
    AttachmentLinkIn,
    AttachmentOut,
    CloseReasonFilters,
    CloseReasonIn,
    CloseReasonOut,
    CloseReasonPatch,
    DealContactIn,
    DealContactOut,
    DealContactPatch,
    DealPlaybookOut,
    PipelineDetailOut,
    PipelineIn,
    PipelineOut,
    PipelinePatch,
    PlaybookIn,
    PlaybookItemIn,
    PlaybookItemOut,
    PlaybookItemPatch,
    PlaybookOut,
    ShareIn,
    ShareOut,
    StageIn,
    StageOrderIn,
    StageOut,
    StagePatch,
    TickOut,
)
from .stages import with_closing_stages

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DELETED: dict[int, Any] = {204: None, **ERRORS}


def _manager(request: HttpRequest, message: str = services.PIPELINES_DENIED) -> User:
    actor = api_user(request)
    permissions.require(permissions.can_manage_pipelines(actor), message)
    return actor


def _visible_deal(request: HttpRequest, deal_id: int) -> Deal:
    return get_object_or_404(api_selectors.deals_for_api(api_user(request)), pk=deal_id)


def _editable_deal(request: HttpRequest, deal_id: int) -> tuple[User, Deal]:
    actor = api_user(request)
    deal = _visible_deal(request, deal_id)
    permissions.require(permissions.can_edit_deal(actor, deal), EDIT_DENIED)
    return actor, deal


def _stage(stage_id: int) -> Stage:
    return get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)


def _pipeline_out(pipeline_id: int) -> Pipeline:
    return api_selectors.pipeline_one(pipeline_id)


# --- pipelines and stages ---------------------------------------------------------------------


@router.get(
    "/pipelines",
    response=list[PipelineOut],
    tags=["pipelines"],
    summary="Pipelines with their stages in order; the default pipeline first",
)
def list_pipelines(request: HttpRequest) -> Any:
    # Here rather than in sales.api: one path, one router (POST /pipelines lives here).
    return api_selectors.pipelines_with_stages()


@router.get(
    "/pipelines/{int:pipeline_id}",
    response={200: PipelineDetailOut, 404: ErrorOut},
    tags=["pipelines"],
    summary="One pipeline with its stages in order",
)
def get_pipeline(request: HttpRequest, pipeline_id: int) -> Any:
    return get_object_or_404(api_selectors.pipelines_with_stages(), pk=pipeline_id)


@router.post(
    "/pipelines",
    response={201: PipelineDetailOut, **ERRORS},
    tags=["pipelines"],
    summary="Create a pipeline from its open stages (Won and Lost are added); managers",
)
def create_pipeline(request: HttpRequest, payload: PipelineIn) -> Any:
    actor = _manager(request)
    pipeline = services.pipeline_create(
        actor=actor,
        name=payload.name,
        stages=with_closing_stages([(s.name, s.probability) for s in payload.stages]),
        is_default=payload.is_default,
    )
    return Status(201, _pipeline_out(pipeline.pk))


@router.patch(
    "/pipelines/{int:pipeline_id}",
    response={200: PipelineDetailOut, **ERRORS},
    tags=["pipelines"],
    summary="Rename, make default or set when deals go stale; managers",
)
def update_pipeline(request: HttpRequest, pipeline_id: int, payload: PipelinePatch) -> Any:
    actor = _manager(request)
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pipeline_id)
    data = payload.model_dump(exclude_unset=True)
    services.pipeline_update(
        actor=actor,
        pipeline=pipeline,
        name=data.get("name", pipeline.name),
        stages={},
        stale_after_days=data.get("stale_after_days"),
        is_default=data.get("is_default"),
    )
    return _pipeline_out(pipeline.pk)


@router.delete(
    "/pipelines/{int:pipeline_id}",
    response=DELETED,
    tags=["pipelines"],
    summary="Delete a pipeline without deals (not the default); managers",
)
def delete_pipeline(request: HttpRequest, pipeline_id: int) -> Any:
    actor = _manager(request)
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pipeline_id)
    services.pipeline_delete(actor=actor, pipeline=pipeline)
    return Status(204, None)


@router.post(
    "/pipelines/{int:pipeline_id}/stages",
    response={201: StageOut, **ERRORS},
    tags=["pipelines"],
    summary="Add an open stage; managers",
)
def create_stage(request: HttpRequest, pipeline_id: int, payload: StageIn) -> Any:
    actor = _manager(request)
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pipeline_id)
    stage = services.stage_create(actor=actor, pipeline=pipeline, **payload.model_dump())
    return Status(201, Stage.objects.get(pk=stage.pk))


@router.post(
    "/pipelines/{int:pipeline_id}/stage-order",
    response={200: PipelineDetailOut, **ERRORS},
    tags=["pipelines"],
    summary="Reorder the open stages (Won and Lost stay last); managers",
)
def reorder_stages(request: HttpRequest, pipeline_id: int, payload: StageOrderIn) -> Any:
    actor = _manager(request)
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pipeline_id)
    services.stage_reorder(actor=actor, pipeline=pipeline, stage_ids=payload.stage_ids)
    return _pipeline_out(pipeline.pk)


@router.get(
    "/stages/{int:stage_id}",
    response={200: StageOut, 404: ErrorOut},
    tags=["pipelines"],
    summary="One stage",
)
def get_stage(request: HttpRequest, stage_id: int) -> Any:
    return _stage(stage_id)


@router.patch(
    "/stages/{int:stage_id}",
    response={200: StageOut, **ERRORS},
    tags=["pipelines"],
    summary="Rename or re-weight a stage (Won/Lost probabilities are fixed); managers",
)
def update_stage(request: HttpRequest, stage_id: int, payload: StagePatch) -> Any:
    actor = _manager(request)
    stage = _stage(stage_id)
    services.stage_update(actor=actor, stage=stage, **payload.model_dump(exclude_unset=True))
    return _stage(stage_id)


@router.delete(
    "/stages/{int:stage_id}",
    response=DELETED,
    tags=["pipelines"],
    summary="Delete an open stage no deal is or was in; managers",
)
def delete_stage(request: HttpRequest, stage_id: int) -> Any:
    actor = _manager(request)
    services.stage_delete(actor=actor, stage=_stage(stage_id))
    return Status(204, None)


# --- close reasons ----------------------------------------------------------------------------


@router.get(
    "/close-reasons",
    response=list[CloseReasonOut],
    tags=["close-reasons"],
    summary="Won and lost reasons, in the order of the closing form",
)
@paginate(LimitOffset)
def list_close_reasons(request: HttpRequest, filters: Query[CloseReasonFilters]) -> Any:
    return api_selectors.close_reason_search(**filters.model_dump())


@router.get(
    "/close-reasons/{int:reason_id}",
    response={200: CloseReasonOut, 404: ErrorOut},
    tags=["close-reasons"],
)
def get_close_reason(request: HttpRequest, reason_id: int) -> Any:
    return get_object_or_404(CloseReason.objects.all(), pk=reason_id)


@router.post(
    "/close-reasons",
    response={201: CloseReasonOut, **ERRORS},
    tags=["close-reasons"],
    summary="Add a reason at the end of its list; managers",
)
def create_close_reason(request: HttpRequest, payload: CloseReasonIn) -> Any:
    actor = _manager(request, closing_services.REASONS_DENIED)
    reason = closing_services.close_reason_create(actor=actor, **payload.model_dump())
    return Status(201, reason)


@router.patch(
    "/close-reasons/{int:reason_id}",
    response={200: CloseReasonOut, **ERRORS},
    tags=["close-reasons"],
    summary="Rename, retire / restore or move a reason; managers",
)
def update_close_reason(request: HttpRequest, reason_id: int, payload: CloseReasonPatch) -> Any:
    actor = _manager(request, closing_services.REASONS_DENIED)
    reason = get_object_or_404(CloseReason.objects.all(), pk=reason_id)
    data = payload.model_dump(exclude_unset=True)
    # The UI changes one thing at a time; the API applies what was sent, name first.
    if "name" in data:
        closing_services.close_reason_rename(actor=actor, reason=reason, name=data["name"])
    if "is_active" in data:
        closing_services.close_reason_set_active(
            actor=actor, reason=reason, is_active=data["is_active"]
        )
    if "move" in data:
        closing_services.close_reason_move(actor=actor, reason=reason, up=data["move"] == "up")
    return CloseReason.objects.get(pk=reason.pk)


@router.delete(
    "/close-reasons/{int:reason_id}",
    response=DELETED,
    tags=["close-reasons"],
    summary="Delete a reason no deal was closed with (retire a used one); managers",
)
def delete_close_reason(request: HttpRequest, reason_id: int) -> Any:
    actor = _manager(request, closing_services.REASONS_DENIED)
    reason = get_object_or_404(CloseReason.objects.all(), pk=reason_id)
    closing_services.close_reason_delete(actor=actor, reason=reason)
    return Status(204, None)


# --- playbooks (set-up) -----------------------------------------------------------------------


def _playbook_manager(request: HttpRequest) -> User:
    return _manager(request, playbook_services.PLAYBOOKS_DENIED)


@router.get(
    "/pipelines/{int:pipeline_id}/playbooks",
    response={200: list[PlaybookOut], 403: ErrorOut, 404: ErrorOut},
    tags=["playbooks"],
    summary="The playbook of each open stage of the pipeline; managers",
)
def list_playbooks(request: HttpRequest, pipeline_id: int) -> Any:
    _playbook_manager(request)
    pipeline = get_object_or_404(Pipeline.objects.all(), pk=pipeline_id)
    return api_selectors.pipeline_playbooks_out(pipeline)


@router.get(
    "/stages/{int:stage_id}/playbook",
    response={200: PlaybookOut, 403: ErrorOut, 404: ErrorOut},
    tags=["playbooks"],
    summary="A stage's talk track, checklist and recommended content; managers",
)
def get_playbook(request: HttpRequest, stage_id: int) -> Any:
    _playbook_manager(request)
    return api_selectors.stage_playbook_out(_stage(stage_id))


@router.put(
    "/stages/{int:stage_id}/playbook",
    response={200: PlaybookOut, **ERRORS},
    tags=["playbooks"],
    summary="Set a stage's playbook; unchanged lines keep their ticks; managers",
)
def save_playbook(request: HttpRequest, stage_id: int, payload: PlaybookIn) -> Any:
    actor = _playbook_manager(request)
    stage = _stage(stage_id)
    content = [
        related_or_422(ContentItem.objects.all(), pk, field="content_ids")
        for pk in dict.fromkeys(payload.content_ids)
    ]
    playbook_services.playbook_save(
        actor=actor,
        stage=stage,
        talk_track=payload.talk_track,
        questions=payload.questions,
        tasks=payload.tasks,
        content=[c for c in content if c is not None],
    )
    return api_selectors.stage_playbook_out(stage)


@router.delete(
    "/stages/{int:stage_id}/playbook",
    response=DELETED,
    tags=["playbooks"],
    summary="Remove a stage's playbook and its checklist; managers",
)
def delete_playbook(request: HttpRequest, stage_id: int) -> Any:
    actor = _playbook_manager(request)
    playbook = get_object_or_404(StagePlaybook.objects.all(), stage_id=stage_id)
    playbook_services.playbook_delete(actor=actor, playbook=playbook)
    return Status(204, None)


@router.post(
    "/stages/{int:stage_id}/playbook/items",
    response={201: PlaybookItemOut, **ERRORS},
    tags=["playbooks"],
    summary="Add a question or task to a stage's checklist; managers",
)
def create_playbook_item(request: HttpRequest, stage_id: int, payload: PlaybookItemIn) -> Any:
    actor = _playbook_manager(request)
    item = playbook_services.playbook_item_add(
        actor=actor, stage=_stage(stage_id), **payload.model_dump()
    )
    return Status(201, item)


def _item(item_id: int) -> PlaybookItem:
    return get_object_or_404(PlaybookItem.objects.select_related("playbook__stage"), pk=item_id)


@router.patch(
    "/playbook-items/{int:item_id}",
    response={200: PlaybookItemOut, **ERRORS},
    tags=["playbooks"],
    summary="Change a checklist line; managers",
)
def update_playbook_item(request: HttpRequest, item_id: int, payload: PlaybookItemPatch) -> Any:
    actor = _playbook_manager(request)
    return playbook_services.playbook_item_update(
        actor=actor, item=_item(item_id), **payload.model_dump(exclude_unset=True)
    )


@router.delete(
    "/playbook-items/{int:item_id}",
    response=DELETED,
    tags=["playbooks"],
    summary="Remove a checklist line; managers",
)
def delete_playbook_item(request: HttpRequest, item_id: int) -> Any:
    actor = _playbook_manager(request)
    playbook_services.playbook_item_delete(actor=actor, item=_item(item_id))
    return Status(204, None)


# --- on a deal: playbook checklist and content sent -------------------------------------------


@router.get(
    "/deals/{int:deal_id}/playbook",
    response={200: DealPlaybookOut, 404: ErrorOut},
    tags=["deals"],
    summary="The playbook of the deal's stage with this deal's ticks",
)
def get_deal_playbook(request: HttpRequest, deal_id: int) -> Any:
    return api_selectors.deal_playbook_out(_visible_deal(request, deal_id))


@router.post(
    "/deals/{int:deal_id}/playbook/items/{int:item_id}/tick",
    response={200: TickOut, **ERRORS},
    tags=["deals"],
    summary="Tick a checklist item on the deal, or untick it if it was ticked",
)
def tick_playbook_item(request: HttpRequest, deal_id: int, item_id: int) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    item = _item(item_id)
    ticked = playbook_services.playbook_tick_toggle(actor=actor, deal=deal, item=item)
    return {"item_id": item.pk, "ticked": ticked}


@router.get(
    "/deals/{int:deal_id}/shares",
    response={200: list[ShareOut], 404: ErrorOut},
    tags=["deals"],
    summary="Content sent from the deal, newest first, with opens",
)
@paginate(LimitOffset)
def list_shares(request: HttpRequest, deal_id: int) -> Any:
    return api_selectors.deal_shares(deal=_visible_deal(request, deal_id))


@router.post(
    "/deals/{int:deal_id}/shares",
    response={201: ShareOut, **ERRORS},
    tags=["deals"],
    summary="Email a content item to the deal's contact or a committee member (tracked link)",
)
def send_share(request: HttpRequest, deal_id: int, payload: ShareIn) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    contact = related_or_422(
        selectors.contact_choices(actor), payload.contact_id, field="contact_id"
    )
    item = related_or_422(
        ContentItem.objects.all(), payload.content_item_id, field="content_item_id"
    )
    assert contact is not None and item is not None
    share = share_services.content_share_send(
        actor=actor, deal=deal, contact=contact, content_item=item, message=payload.message
    )
    return Status(201, api_selectors.deal_shares(deal=deal).get(pk=share.pk))


# --- on a deal: buying committee --------------------------------------------------------------


def _member(deal: Deal, member_id: int) -> DealContact:
    return get_object_or_404(
        DealContact.objects.select_related("contact", "deal__owner"), pk=member_id, deal=deal
    )


@router.get(
    "/deals/{int:deal_id}/committee",
    response={200: list[DealContactOut], 404: ErrorOut},
    tags=["deals"],
    summary="The deal's buying committee, by role",
)
@paginate(LimitOffset)
def list_committee(request: HttpRequest, deal_id: int) -> Any:
    return api_selectors.deal_committee(deal=_visible_deal(request, deal_id))


@router.post(
    "/deals/{int:deal_id}/committee",
    response={201: DealContactOut, **ERRORS},
    tags=["deals"],
    summary="Put a contact on the buying committee with a role",
)
def add_committee_member(request: HttpRequest, deal_id: int, payload: DealContactIn) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    contact = related_or_422(
        selectors.contact_choices(actor), payload.contact_id, field="contact_id"
    )
    assert contact is not None
    member = services.deal_contact_add(actor=actor, deal=deal, contact=contact, role=payload.role)
    return Status(201, _member(deal, member.pk))


@router.patch(
    "/deals/{int:deal_id}/committee/{int:member_id}",
    response={200: DealContactOut, **ERRORS},
    tags=["deals"],
    summary="Change a committee member's role",
)
def update_committee_member(
    request: HttpRequest, deal_id: int, member_id: int, payload: DealContactPatch
) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    member = _member(deal, member_id)
    return services.deal_contact_update(actor=actor, member=member, role=payload.role)


@router.delete(
    "/deals/{int:deal_id}/committee/{int:member_id}",
    response=DELETED,
    tags=["deals"],
    summary="Take a contact off the buying committee",
)
def remove_committee_member(request: HttpRequest, deal_id: int, member_id: int) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    services.deal_contact_remove(actor=actor, member=_member(deal, member_id))
    return Status(204, None)


# --- on a deal: files and links ---------------------------------------------------------------


def _attachment(deal: Deal, attachment_id: int) -> DealAttachment:
    return get_object_or_404(
        DealAttachment.objects.select_related("deal__owner", "added_by"),
        pk=attachment_id,
        deal=deal,
    )


@router.get(
    "/deals/{int:deal_id}/attachments",
    response={200: list[AttachmentOut], 404: ErrorOut},
    tags=["deals"],
    summary="Files and links on the deal, newest first",
)
@paginate(LimitOffset)
def list_attachments(request: HttpRequest, deal_id: int) -> Any:
    return api_selectors.deal_attachments(deal=_visible_deal(request, deal_id))


@router.post(
    "/deals/{int:deal_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    tags=["deals"],
    summary="Attach a link (http or https) to a document elsewhere",
    description="A JSON body; to upload a file use `POST /deals/{deal_id}/attachments/upload`.",
)
def add_attachment_link(request: HttpRequest, deal_id: int, payload: AttachmentLinkIn) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    attachment = services.deal_attachment_add_link(
        actor=actor, deal=deal, title=payload.title, url=payload.url
    )
    return Status(201, _attachment(deal, attachment.pk))


@router.post(
    "/deals/{int:deal_id}/attachments/upload",
    response={201: AttachmentOut, **ERRORS},
    tags=["deals"],
    summary="Upload a file (at most 10 MB) to the deal",
    description="A `multipart/form-data` body with the part `file` and, optionally, `title` "
    "(the file name when left out). The file is checked and stored as on the deal page: at "
    "most 10 MB, not empty, its name reduced to safe characters and its media type taken from "
    "that name (never from the request). An empty or too large file answers 422 naming `file`, "
    "and nothing is stored. Fetch it back from the answer's `download_path`.",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "examples": {
                        "upload": {"value": {"file": "(the file's bytes)", "title": "Contract"}}
                    }
                }
            }
        }
    },
)
def upload_attachment(
    request: HttpRequest,
    deal_id: int,
    file: File[UploadedFile],
    title: Form[str] = "",
) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    attachment = services.deal_attachment_add_file(actor=actor, deal=deal, title=title, upload=file)
    return Status(201, _attachment(deal, attachment.pk))


@router.get(
    "/deals/{int:deal_id}/attachments/{int:attachment_id}/file",
    response={200: None, 404: ErrorOut, 409: ErrorOut},
    tags=["deals"],
    url_name="deal_attachment_file",
    summary="Download an uploaded file",
    description="Streams the stored bytes as a download (`Content-Disposition: attachment`, "
    "`X-Content-Type-Options: nosniff`) to whoever may see the deal; a deal the caller may not "
    "see answers 404. A link attachment has no file: 409 (follow its `url` instead).",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file's bytes, with the media type stored at upload",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request: HttpRequest, deal_id: int, attachment_id: int) -> Any:
    attachment = _attachment(_visible_deal(request, deal_id), attachment_id)
    if not attachment.file:
        return Status(409, {"detail": "This attachment is a link, not a file; follow its url."})
    return attachment_file_response(attachment)


@router.delete(
    "/deals/{int:deal_id}/attachments/{int:attachment_id}",
    response=DELETED,
    tags=["deals"],
    summary="Delete a file or link from the deal",
    description="A file is removed from storage once the deletion is committed.",
)
def delete_attachment(request: HttpRequest, deal_id: int, attachment_id: int) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    services.deal_attachment_delete(actor=actor, attachment=_attachment(deal, attachment_id))
    return Status(204, None)
