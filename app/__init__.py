"""The application factory. It reads like a table of contents."""
from pathlib import Path

from flask import Flask

from config import CONFIGS


def create_app(config="development", overrides=None):
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(Path(__file__).resolve().parent.parent / "instance"),
        instance_relative_config=True,
    )
    configure(app, config, overrides or {})
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure(app, config, overrides):
    config_class = CONFIGS[config] if isinstance(config, str) else config
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Overrides may set DATABASE_URL and friends before the environment is read.
    app.config.update(config_class.from_env(app.instance_path, {**_environ(), **{
        k: v for k, v in overrides.items() if k in ("DATABASE_URL", "SECRET_KEY", "BASE_URL")
    }}))
    app.config.update({k: v for k, v in overrides.items() if k.isupper()})
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES",
                          str(Path(__file__).resolve().parent.parent / "translations"))
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    from app.logging import configure_logging

    configure_logging(app)


def _environ():
    import os

    return dict(os.environ)


def register_extensions(app):
    from app.database import configure_engines
    from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
    from app.i18n import select_locale, select_timezone

    db.init_app(app)
    configure_engines(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    # Templates get the lazy current_user proxy: Flask-Login's own context processor asks
    # who is signed in on every render, which rewrites a citizen's session each page.
    login_manager.init_app(app, add_context_processor=False)
    from flask_login import current_user

    app.context_processor(lambda: {"current_user": current_user})
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    from app import security  # noqa: F401  (registers the user loader)


def register_blueprints(app):
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.checkin import bp as checkin_bp
    from app.ops import bp as ops_bp
    from app.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/staff")
    app.register_blueprint(checkin_bp)
    app.register_blueprint(ops_bp)


def register_errorhandlers(app):
    from app.errors import register

    register(app)


def register_request_hooks(app):
    from app.security import register_headers

    register_headers(app)


def register_template_helpers(app):
    from app.i18n import install_template_gettext, register_filters
    from app.services.privacy import mask_contacts

    install_template_gettext(app)
    register_filters(app)
    # Free text someone typed (a reason, a note, a label) may hold a phone number or an
    # e-mail address: staff pages show it through this filter, as they show comments.
    app.add_template_filter(mask_contacts, "mask_contacts")
    from app.services.text import keep_numbers_whole

    app.add_template_filter(keep_numbers_whole, "keep_numbers_whole")


def register_commands(app):
    from app.cli import register

    register(app)
