"""What the API and the web share: the request dependencies (``deps``), the package download
(``downloads``) and the composition root that mounts both on one app (``app.create_app``)."""
