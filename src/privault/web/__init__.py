"""The web for people: the privacy center (``/p/{tenant}/...``) and the landing page, server-rendered.

Pages are plain HTML forms that work without JavaScript; views build a context and call services.
Register with ``app.include_router(privault.web.routes.router)``.
"""
