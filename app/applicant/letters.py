"""The applicant's own offer letter (PDF), the same document the university downloads."""

from __future__ import annotations

import io

from flask import abort, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from app.applicant import bp
from app.services import offer_letters
from app.services.errors import NotFound


@bp.get("/offers/<int(max=2147483647):placement_id>/letter.pdf")
def offer_letter(placement_id: int) -> Response:
    """Download the bilingual offer letter of one's own accepted place."""
    try:
        placement = offer_letters.placement_for_applicant(placement_id, current_user)
    except NotFound:
        abort(404)
    return send_file(
        io.BytesIO(offer_letters.render_offer_letter(placement)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=offer_letters.filename(placement),
    )
