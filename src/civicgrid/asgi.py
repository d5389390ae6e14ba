"""The web application uvicorn serves.

Pages and API calls are plain synchronous Django: under Django's ASGI handler
each would hop between threads at every synchronous middleware and all views
would share one thread, which measured at a fifth of the throughput of the
same code on a thread pool. So ordinary requests run Django's WSGI handler on
a pool of threads (a2wsgi), each thread keeping its database connection. Only
the duty console's event stream, which holds a connection open for a minute
while it waits on the alarm bell, stays on the ASGI handler, where waiting
costs no thread.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

# Paths that stream for long: served asynchronously.
STREAMING_PATHS = ("/care/stream/", "/insights/screen/stream/")

streaming = get_asgi_application()
pooled = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)


async def application(scope, receive, send):
    if scope["type"] == "http" and not scope["path"].startswith(STREAMING_PATHS):
        await pooled(scope, receive, send)
    else:
        await streaming(scope, receive, send)
