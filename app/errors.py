"""Error pages in Chinese; a JSON body for the API. Roll back on 500 and on lock timeouts."""
import logging
import math

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.database import is_lock_timeout, is_lost_connection
from app.extensions import db
from app.services.errors import DomainError

log = logging.getLogger("openday")

TITLES = {
    400: lambda: _("请求有误"),
    401: lambda: _("请先登录"),
    403: lambda: _("没有权限"),
    404: lambda: _("页面不存在"),
    405: lambda: _("不支持的操作"),
    409: lambda: _("无法完成"),
    413: lambda: _("提交的内容太大"),
    429: lambda: _("操作太频繁"),
    500: lambda: _("系统出了点问题"),
    503: lambda: _("系统繁忙"),
}


def _messages():
    return {
        400: _("提交的内容有误，请返回检查后再试。"),
        401: _("请先登录。"),
        403: _("您没有权限访问这个页面。"),
        404: _("没有找到这个页面，请检查链接是否完整。"),
        405: _("不支持这种操作。"),
        409: _("这个操作与已有记录冲突。"),
        413: _("提交的内容太大。"),
        429: _("您的操作太频繁了，请稍等一会儿再试。"),
        500: _("系统出了点问题，我们已经记录下来。您已提交的信息没有丢失，请稍后再试。"),
        503: _("现在报名的人很多，系统繁忙，请稍等几秒再提交一次。"),
    }


def expired_form_response():
    """A form sent with a token its session no longer holds: nothing was saved. (The
    citizen's registration forms come back filled in instead: app.public.routes.)"""
    # Not "refresh": refreshing this page sends the same refused form again. Going back
    # and reloading the form gives it a fresh token.
    return error_response(400, _("页面已过期，刚才填写的内容没有提交。请按浏览器的“返回”回到表单，"
                                 "刷新后重新填写提交。"))


def wants_json():
    return request.path.startswith("/api/") or request.is_json


def error_response(status, message=None):
    message = message or _messages().get(status, _messages()[400])
    if wants_json():
        return jsonify({"error": status, "message": str(message)}), status
    title = TITLES.get(status, TITLES[400])()
    return render_template("errors/error.html", status=status, title=title,
                           message=message), status


def register(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if error.code == 429:
            from app.security import retry_after_seconds

            wait = retry_after_seconds()
            # How long, in words a person reads (minutes past two of them); on a page, what
            # was typed is still there behind "back".
            if wait < 120:
                message = _("您的操作太频繁了，请 %(n)d 秒后再试。", n=wait)
            else:
                message = _("您的操作太频繁了，请约 %(n)d 分钟后再试。", n=math.ceil(wait / 60))
            if not wants_json():
                back = _("按浏览器的“返回”可以回到刚才填写的内容。")
                message = f"{message}{back}"
            resp, status = error_response(429, message)
            return resp, status, {"Retry-After": str(wait)}
        body, status = error_response(error.code)
        # The exception's own headers (a 405's Allow, a 401's WWW-Authenticate) stay.
        return body, status, [h for h in error.get_headers() if h[0] != "Content-Type"]

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return expired_form_response()

    @app.errorhandler(DomainError)
    def domain_error(error):
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(OperationalError)
    def database_error(error):
        db.session.rollback()
        if is_lock_timeout(error) or is_lost_connection(error):
            if is_lost_connection(error):
                log.warning("database connection lost; the pool reconnects")
            resp, status = error_response(503)
            return resp, status, {"Retry-After": "2"}
        log.exception("database error")
        return error_response(500)

    @app.errorhandler(Exception)
    def unexpected(error):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
